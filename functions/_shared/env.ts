// The only reader of the function's environment (Supabase sets SUPABASE_URL, SUPABASE_DB_URL and the keys;
// the project adds its own settings as function secrets).

// Deno in the functions; Node when a vitest suite imports a shared module directly.
const runtime = globalThis as unknown as {
  Deno?: { env: { get(name: string): string | undefined } };
  process?: { env: Record<string, string | undefined> };
};
const read = (name: string): string | undefined => runtime.Deno ? runtime.Deno.env.get(name) : runtime.process?.env[name];

export function env(name: string): string | undefined {
  const value = read(name);
  return value === undefined || value === "" ? undefined : value;
}

/** A whole-number setting within [min, max]; anything else (absent, not a whole number, out of range) is `fallback`. */
export function integerSetting(name: string, fallback: number, min: number, max: number): number {
  const raw = env(name);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  return Number.isInteger(value) && value >= min && value <= max ? value : fallback;
}

export function requireEnv(name: string): string {
  const value = env(name);
  if (value === undefined) throw new Error(`Missing environment variable ${name}`);
  return value;
}

export function releaseVersion(): string {
  return env("LOVE_RELEASE") ?? "dev";
}
