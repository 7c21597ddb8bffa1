// Admin password strength (issue 15 L3): zxcvbn-ts, a real estimator that knows common passwords, names,
// dictionary words, keyboard walks, sequences, dates and l33t, instead of a short deny-list. Runs under Deno
// (npm: specifiers) and Node (scripts/admin.ts, the local stack, the Pulumi program); no runtime API here.
//
// A password must be estimated to need at least 10^10 guesses (zxcvbn's score 4): an admin reads every PIN,
// so the account has to hold even against offline guessing of a leaked bcrypt hash.
import { ZxcvbnFactory } from "@zxcvbn-ts/core";
import * as common from "@zxcvbn-ts/language-common";
import * as english from "@zxcvbn-ts/language-en";
import * as arabic from "@zxcvbn-ts/language-ar";

export const MIN_PASSWORD_SCORE = 4;
/** Words a committee's staff would build a password from; zxcvbn treats them as known. */
const SITE_WORDS = ["love", "mmc", "mms", "admin", "administrator", "committee", "medical", "military", "qatar", "doha",
  "staff", "clinic", "pin", "queue", "bomussa"];

// The Arabic pack (transliterated names, Wikipedia words) still ships its lists as comma-joined strings.
function asWordList(words: unknown): string[] {
  if (Array.isArray(words)) return words.map(String);
  return typeof words === "string" ? words.split(",") : [];
}

let estimator: ZxcvbnFactory | undefined;
function zxcvbn(): ZxcvbnFactory {
  estimator ??= new ZxcvbnFactory({
    dictionary: {
      ...common.dictionary,
      ...english.dictionary,
      ...Object.fromEntries(Object.entries(arabic.dictionary).map(([name, words]) => [`${name}-ar`, asWordList(words)])),
    },
    graphs: common.adjacencyGraphs,
    translations: english.translations,
    useLevenshteinDistance: true,
  });
  return estimator;
}

export interface Strength {
  score: number;
  /** log10 of the estimated guesses. */
  guessesLog10: number;
  warning: string | null;
  suggestions: string[];
}

export function estimateStrength(password: string, userInputs: string[] = []): Strength {
  const result = zxcvbn().check(password, [...userInputs, ...SITE_WORDS]);
  return {
    score: result.score,
    guessesLog10: result.guessesLog10,
    warning: result.feedback.warning || null,
    suggestions: result.feedback.suggestions,
  };
}

/** Why the password is too weak, or null when it is strong enough. */
export function weakPasswordReason(password: string, userInputs: string[] = []): string | null {
  const strength = estimateStrength(password, userInputs);
  if (strength.score >= MIN_PASSWORD_SCORE) return null;
  const why = [strength.warning, strength.suggestions[0] ?? "Use a passphrase of several unrelated words."]
    .filter((text): text is string => Boolean(text)).map((text) => text.replace(/\.$/, "")).join("; ");
  return `the password is too easy to guess (about 10^${Math.floor(strength.guessesLog10)} guesses, 10^10 needed: ${why})`;
}
