// Local stand-ins for the project's API keys: JWTs with the anon and service_role claims, signed (HS256) with a
// secret made once per data directory. They never leave the machine and are never committed (.local/ is ignored).
import { createHmac, randomBytes } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";

export interface LocalKeys {
  jwtSecret: string;
  anon: string;
  serviceRole: string;
}

export async function localKeys(file: string): Promise<LocalKeys> {
  try {
    return JSON.parse(await readFile(file, "utf8")) as LocalKeys;
  } catch {
    const jwtSecret = randomBytes(32).toString("base64url");
    const keys = {
      jwtSecret,
      anon: signJwt({ iss: "supabase-local", role: "anon" }, jwtSecret),
      serviceRole: signJwt({ iss: "supabase-local", role: "service_role" }, jwtSecret),
    };
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, JSON.stringify(keys, null, 2), { mode: 0o600 });
    return keys;
  }
}

function signJwt(claims: Record<string, unknown>, secret: string): string {
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
  const body = `${encode({ alg: "HS256", typ: "JWT" })}.${encode({ ...claims, iat: Math.floor(Date.now() / 1000) })}`;
  return `${body}.${createHmac("sha256", secret).update(body).digest("base64url")}`;
}
