// Failures a test injects into the fake Management API: per method and path, a number of times, answered in place
// of the operation or (a lost answer) after it ran.
export interface InjectedFailure {
  method: string;
  path: string | RegExp;
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
  /** How many matching requests fail; default 1. */
  times?: number;
  /** Drop the connection instead of answering (a lost answer). The request is still processed first. */
  dropAfterProcessing?: boolean;
}

export class InjectedFailures {
  private readonly failures: (InjectedFailure & { left: number })[] = [];

  add(failure: InjectedFailure): void {
    this.failures.push({ ...failure, left: failure.times ?? 1 });
  }

  /** The first injected failure still left for this request, counted as used. */
  take(method: string, path: string): (InjectedFailure & { left: number }) | undefined {
    const failure = this.failures.find(
      (candidate) =>
        candidate.left > 0 &&
        candidate.method === method &&
        (typeof candidate.path === "string" ? candidate.path === path : candidate.path.test(path)),
    );
    if (failure) failure.left--;
    return failure;
  }
}
