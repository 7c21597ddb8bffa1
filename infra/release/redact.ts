// Keeps secrets out of everything the release tool prints: values of secret-looking environment variables and the
// credentials part of URLs are masked before a line reaches the terminal or a CI log.

const SECRET_NAME = /(TOKEN|SECRET|PASSWORD|PASSPHRASE|PRIVATE_KEY|API_KEY|ACCESS_KEY|SERVICE_ROLE_KEY|_KEY)$/i;
/** Shorter values would mask ordinary words ("true", "prod"). */
const MIN_SECRET_LENGTH = 6;
export const MASK = "***";

/** The values of environment variables whose names say they are secret, longest first. */
export function secretValuesFromEnv(env: NodeJS.ProcessEnv = process.env): string[] {
  const values = new Set<string>();
  for (const [name, value] of Object.entries(env)) {
    if (value && value.length >= MIN_SECRET_LENGTH && SECRET_NAME.test(name)) values.add(value);
  }
  return [...values].sort((a, b) => b.length - a.length);
}

/** Masks `user:password@` in URLs and every known secret value. */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text.replace(/([a-z][a-z0-9+.-]*:\/\/)[^\s/@]+@/gi, `$1${MASK}@`);
  for (const secret of secrets) {
    if (secret.length >= MIN_SECRET_LENGTH) out = out.split(secret).join(MASK);
  }
  return out;
}

/** A URL fit for printing: no credentials, no query string (tokens sometimes ride there). */
export function displayUrl(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.username = "";
    parsed.password = "";
    parsed.search = "";
    return parsed.toString().replace(/\/$/, "");
  } catch {
    return "<invalid URL>";
  }
}
