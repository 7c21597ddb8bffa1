// The only reader of the function's environment (Supabase sets SUPABASE_URL, SUPABASE_DB_URL and the keys;
// the project adds its own settings as function secrets).

export function env(name: string): string | undefined {
  const value = Deno.env.get(name);
  return value === undefined || value === "" ? undefined : value;
}

export function requireEnv(name: string): string {
  const value = env(name);
  if (value === undefined) throw new Error(`Missing environment variable ${name}`);
  return value;
}

export function releaseVersion(): string {
  return env("LOVE_RELEASE") ?? "dev";
}
