// Progress output: numbered steps, their outcome and duration, child-process output indented under its step.
// Every line goes through redact() first.
import { redact, secretValuesFromEnv } from "./redact.ts";

export interface Reporter {
  /** Starts the next numbered step (closing an open one as ok). */
  step(title: string): void;
  ok(detail?: string): void;
  fail(detail: string): void;
  skip(reason: string): void;
  info(line: string): void;
  warn(line: string): void;
  /** Output of a child process (pulumi, npm), shown indented under the current step. */
  output(line: string): void;
  /** Extra values to mask from now on (e.g. a token read from a file). */
  addSecret(value: string): void;
}

export interface ReporterOptions {
  /** Prefix of every line, e.g. "deploy staging". */
  prefix: string;
  write?: (line: string) => void;
  now?: () => number;
  env?: NodeJS.ProcessEnv;
}

export function createReporter(options: ReporterOptions): Reporter {
  const write = options.write ?? ((line: string) => process.stdout.write(`${line}\n`));
  const now = options.now ?? Date.now;
  const secrets = secretValuesFromEnv(options.env);
  let stepNumber = 0;
  let stepStarted = 0;
  let stepTitle: string | undefined;
  const emit = (line: string) => write(redact(`[${options.prefix}] ${line}`, secrets));
  const elapsed = () => `${((now() - stepStarted) / 1000).toFixed(1)}s`;
  const close = (mark: string, detail?: string) => {
    if (stepTitle === undefined) return;
    emit(`  ${mark} ${stepTitle}${detail ? `: ${detail}` : ""} (${elapsed()})`);
    stepTitle = undefined;
  };
  return {
    step(title) {
      close("ok");
      stepNumber += 1;
      stepTitle = title;
      stepStarted = now();
      emit(`step ${stepNumber}: ${title}`);
    },
    ok: (detail) => close("ok", detail),
    fail: (detail) => close("FAILED", detail),
    skip: (reason) => close("skipped", reason),
    info: (line) => emit(line),
    warn: (line) => emit(`WARNING: ${line}`),
    output: (line) => emit(`  | ${line}`),
    addSecret(value) {
      if (value && !secrets.includes(value)) {
        secrets.push(value);
        secrets.sort((a, b) => b.length - a.length);
      }
    },
  };
}

/** Splits streamed chunks into whole lines. */
export function lineSplitter(onLine: (line: string) => void): { push(chunk: string): void; flush(): void } {
  let buffer = "";
  return {
    push(chunk) {
      buffer += chunk;
      let newline = buffer.indexOf("\n");
      while (newline !== -1) {
        onLine(buffer.slice(0, newline).replace(/\r$/, ""));
        buffer = buffer.slice(newline + 1);
        newline = buffer.indexOf("\n");
      }
    },
    flush() {
      if (buffer) onLine(buffer);
      buffer = "";
    },
  };
}
