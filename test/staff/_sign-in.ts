// Helpers for the sign-in suites: Basic answers, the cookies a response sets, a browser-like cookie jar, and the
// admin CLI.
import { spawn } from "node:child_process";
import http from "node:http";
import path from "node:path";
import { REPO_ROOT } from "../../local/stack.ts";

export const basic = (username: string, password: string) =>
  `Basic ${Buffer.from(`${username}:${password}`, "utf8").toString("base64")}`;

/** name → value of every Set-Cookie of a response ("" for a cleared one). */
export function setCookies(headers: Headers): Map<string, { value: string; attributes: string }> {
  const cookies = new Map<string, { value: string; attributes: string }>();
  for (const line of headers.getSetCookie()) {
    const [pair, ...attributes] = line.split(";");
    const at = pair!.indexOf("=");
    cookies.set(pair!.slice(0, at).trim(), { value: pair!.slice(at + 1).trim(), attributes: attributes.join(";") });
  }
  return cookies;
}

/** A browser's cookies for one site: Set-Cookie in, Cookie out (Max-Age=0 deletes). */
export class CookieJar {
  private readonly values = new Map<string, string>();

  take(headers: Headers): this {
    for (const [name, { value, attributes }] of setCookies(headers)) {
      if (value === "" || /Max-Age=0\b/i.test(attributes)) this.values.delete(name);
      else this.values.set(name, value);
    }
    return this;
  }

  get(name: string): string | undefined {
    return this.values.get(name);
  }

  set(name: string, value: string): this {
    this.values.set(name, value);
    return this;
  }

  delete(name: string): this {
    this.values.delete(name);
    return this;
  }

  header(): string {
    return [...this.values].map(([name, value]) => `${name}=${value}`).join("; ");
  }
}

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** `npm run admin -- <args>` against a database, with `input` on stdin. */
export function runAdminCli(databaseUrl: string, args: string[], input = ""): Promise<CliResult> {
  // Asynchronously: a blocked event loop would let the gateway close this process's idle keep-alive sockets.
  return new Promise((resolve, reject) => {
    const child = spawn(path.join(REPO_ROOT, "node_modules", ".bin", "tsx"), [path.join(REPO_ROOT, "scripts", "admin.ts"), ...args], {
      cwd: REPO_ROOT,
      env: { ...process.env, SUPABASE_DB_URL: databaseUrl, LOVE_ADMIN_BCRYPT_COST: "4" },
      timeout: 60_000,
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stderr.on("data", (chunk) => (stderr += chunk));
    child.once("error", reject);
    child.once("close", (status) => resolve({ status, stdout, stderr }));
    child.stdin.end(input);
  });
}

export const ADMIN_SCREEN = "https://mmc-mms.com/admin";
export const PATIENT_SCREEN = "https://mmc-mms.com/";

export interface RawResponse {
  status: number;
  headers: Headers;
  text: string;
  // deno-lint-ignore no-explicit-any -- JSON answers of many shapes, asserted field by field.
  body: any;
}

/**
 * One request with exactly the headers given (Node's fetch sets Sec-Fetch-* itself, so a browser's navigation
 * cannot be imitated with it), never following redirects.
 */
export function rawRequest(baseUrl: string, path: string, options: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<RawResponse> {
  const url = new URL(path, baseUrl);
  return new Promise((resolve, reject) => {
    const request = http.request(url, { method: options.method ?? "GET", headers: options.headers }, (response) => {
      let text = "";
      response.setEncoding("utf8");
      response.on("data", (chunk) => (text += chunk));
      response.on("end", () => {
        const headers = new Headers();
        for (const [name, value] of Object.entries(response.headers)) {
          for (const item of Array.isArray(value) ? value : value === undefined ? [] : [value]) headers.append(name, item);
        }
        let body: unknown;
        try {
          body = JSON.parse(text);
        } catch {
          body = undefined;
        }
        resolve({ status: response.statusCode ?? 0, headers, text, body });
      });
      response.on("error", reject);
    });
    request.on("error", reject);
    request.end(options.body);
  });
}
