// What the proof records about each check: it ran and passed, ran and failed, or was skipped and why.
// A skipped check never counts as passed.

export type CheckStatus = "passed" | "failed" | "skipped";
export type Surface = "prometheus" | "alertmanager" | "grafana";

export interface Check {
  name: string;
  surface: Surface;
  status: CheckStatus;
  /** status === "passed" (kept for readers of older proofs). */
  ok: boolean;
  /** What was found, why it failed, or why it was skipped. */
  detail: string;
}

export interface CheckSummary {
  /** Checks that ran: passed + failed. */
  ran: number;
  passed: number;
  failed: number;
  skipped: number;
}

/** The checks of one run, in the order they were made. */
export class CheckLog {
  readonly checks: Check[] = [];

  pass(surface: Surface, name: string, detail: string): void {
    this.add(surface, name, "passed", detail);
  }

  fail(surface: Surface, name: string, detail: string): void {
    this.add(surface, name, "failed", detail);
  }

  skip(surface: Surface, name: string, reason: string): void {
    this.add(surface, name, "skipped", reason);
  }

  /** Skips each named check for one reason (e.g. what they need failed). */
  skipAll(surface: Surface, names: readonly string[], reason: string): void {
    for (const name of names) this.skip(surface, name, reason);
  }

  get(name: string): Check | undefined {
    return this.checks.find((check) => check.name === name);
  }

  passed(name: string): boolean {
    return this.get(name)?.status === "passed";
  }

  summary(): CheckSummary {
    const count = (status: CheckStatus): number => this.checks.filter((check) => check.status === status).length;
    const passed = count("passed");
    const failed = count("failed");
    return { ran: passed + failed, passed, failed, skipped: count("skipped") };
  }

  private add(surface: Surface, name: string, status: CheckStatus, detail: string): void {
    this.checks.push({ name, surface, status, ok: status === "passed", detail });
  }
}
