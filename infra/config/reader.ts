import type * as pulumi from "@pulumi/pulumi";

/** What parseStackConfig needs from Pulumi: plain values, secret values, and the process environment. */
export interface ConfigReader {
  get(key: string): string | undefined;
  getObject<T>(key: string): T | undefined;
  getSecret(key: string): pulumi.Output<string> | undefined;
  getSecretObject<T>(key: string): pulumi.Output<T> | undefined;
  /** The plaintext of a secret key, only to validate it here: what leaves parseStackConfig is getSecret's Output. */
  secretText(key: string): string | undefined;
  env(name: string): string | undefined;
  /** The release being deployed (the program checkout's commit, infra/release-version.ts): the functions' LOVE_RELEASE. */
  release(): string | undefined;
}

/**
 * Typed reading of one stack's plain keys. A value that does not fit joins `problems` and the fallback is used, so
 * that every problem of the stack is reported at once.
 */
export interface KeyReader {
  /** The trimmed value; an empty one counts as unset. */
  text(key: string, fallback?: string): string | undefined;
  required(key: string, example: string, check?: (value: string) => string | undefined): string;
  number(key: string, fallback: number, min: number, max: number): number;
  flag(key: string, fallback: boolean): boolean;
  /** A JSON list, or a comma-separated one. */
  list(key: string): string[];
  /** The command that sets `key` on this stack. */
  setHint(key: string, example: string, secret?: boolean): string;
}

export function keyReader(stack: string, config: ConfigReader, problems: string[]): KeyReader {
  const setHint = (key: string, example: string, secret = false) =>
    `pulumi config set ${secret ? "--secret " : ""}${key} ${example} --stack ${stack}`;
  const text = (key: string, fallback?: string): string | undefined => {
    const value = config.get(key)?.trim();
    return value ? value : fallback;
  };
  const required = (key: string, example: string, check?: (value: string) => string | undefined): string => {
    const value = text(key);
    if (!value) {
      problems.push(`${key} is required: ${setHint(key, example)}`);
      return "";
    }
    const problem = check?.(value);
    if (problem) problems.push(`${key}: ${problem}`);
    return value;
  };
  const number = (key: string, fallback: number, min: number, max: number): number => {
    const raw = text(key);
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min || value > max) {
      problems.push(`${key} must be an integer from ${min} to ${max}, got "${raw}"`);
      return fallback;
    }
    return value;
  };
  const flag = (key: string, fallback: boolean): boolean => {
    const raw = text(key);
    if (raw === undefined) return fallback;
    if (raw !== "true" && raw !== "false") problems.push(`${key} must be true or false, got "${raw}"`);
    return raw === "true";
  };
  const list = (key: string): string[] => {
    let value: unknown;
    try {
      value = config.getObject<unknown>(key);
    } catch {
      value = text(key)?.split(",");
    }
    if (value === undefined) return [];
    if (!Array.isArray(value) || !value.every((item) => typeof item === "string")) {
      problems.push(`${key} must be a list of strings`);
      return [];
    }
    return value.map((item) => item.trim()).filter(Boolean);
  };
  return { text, required, number, flag, list, setHint };
}

export function urlProblem(value: string): string | undefined {
  try {
    const parsed = new URL(value);
    return parsed.protocol === "https:" || parsed.hostname === "127.0.0.1" || parsed.hostname === "localhost"
      ? undefined
      : "must be an https URL";
  } catch {
    return `"${value}" is not a URL`;
  }
}
