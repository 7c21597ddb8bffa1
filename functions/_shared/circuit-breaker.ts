// The seed's CircuitBreaker shape — `new CircuitBreaker({ failureThreshold, timeout }).execute(fn)`, where
// `timeout` is how long the circuit stays open — on top of cockatiel, fixing what the seed's version got wrong:
// every call has a timeout that aborts it and counts as a failure, HALF_OPEN lets exactly one probe through,
// and business outcomes (4xx) never count as the dependency failing.
import {
  BrokenCircuitError,
  circuitBreaker,
  CircuitState,
  ConsecutiveBreaker,
  handleWhen,
  IsolatedCircuitError,
  TaskCancelledError,
  timeout as timeoutPolicy,
  TimeoutStrategy,
  wrap,
} from "cockatiel";
import { HttpError } from "./http.ts";
import { emitMetric } from "./metrics.ts";

export type BreakerState = "closed" | "open" | "half_open";

export interface CircuitBreakerOptions {
  /** Name of the dependency, the `dependency` label of circuit_breaker_state. */
  dependency?: string;
  /** Consecutive failures that open the circuit (the seed's default: 5). */
  failureThreshold?: number;
  /** How long the circuit stays open before one probe is let through, in ms (the seed's default: 60000). */
  timeout?: number;
  /** How long one call may take before it is aborted and counted as a failure, in ms. */
  callTimeout?: number;
  /** Whether an error means the dependency failed. Default: anything but a business (4xx) outcome. */
  isFailure?: (error: unknown) => boolean;
}

/** The circuit is open: the dependency is not called at all. */
export class CircuitOpenError extends Error {
  constructor(readonly dependency: string, readonly retryAfterSeconds: number) {
    super(`${dependency} is unavailable (circuit open)`);
  }
}

/** The call took longer than `callTimeout` and was aborted. */
export class CallTimeoutError extends Error {
  constructor(readonly dependency: string, readonly timeoutMs: number) {
    super(`${dependency} did not answer within ${timeoutMs} ms`);
  }
}

export function isBusinessOutcome(error: unknown): boolean {
  return error instanceof HttpError && error.status < 500;
}

const STATE_NAMES: Record<CircuitState, BreakerState> = {
  [CircuitState.Closed]: "closed",
  [CircuitState.Open]: "open",
  [CircuitState.HalfOpen]: "half_open",
  [CircuitState.Isolated]: "open",
};

export class CircuitBreaker {
  readonly dependency: string;
  private readonly openMs: number;
  private readonly callTimeoutMs: number;
  private readonly policy;
  private readonly breaker;
  private openedAt = 0;
  private current: BreakerState = "closed";

  constructor(options: CircuitBreakerOptions = {}) {
    this.dependency = options.dependency ?? "unnamed";
    this.openMs = options.timeout ?? 60_000;
    this.callTimeoutMs = options.callTimeout ?? 5_000;
    const isFailure = options.isFailure ?? ((error: unknown) => !isBusinessOutcome(error));
    this.breaker = circuitBreaker(
      handleWhen((error) =>
        error instanceof TaskCancelledError || error instanceof CallTimeoutError || isFailure(error)
      ),
      {
        halfOpenAfter: this.openMs,
        breaker: new ConsecutiveBreaker(options.failureThreshold ?? 5),
      },
    );
    this.breaker.onStateChange((state) => {
      const next = STATE_NAMES[state];
      if (next === "open") this.openedAt = Date.now();
      emitMetric({ type: "breaker_state", dependency: this.dependency, state: next, from: this.current });
      this.current = next;
    });
    this.policy = wrap(this.breaker, timeoutPolicy(this.callTimeoutMs, TimeoutStrategy.Aggressive));
    emitMetric({ type: "breaker_state", dependency: this.dependency, state: "closed" });
  }

  get state(): BreakerState {
    return STATE_NAMES[this.breaker.state];
  }

  /** Runs `fn` through the breaker. `fn` gets a signal that aborts when the call times out. */
  async execute<T>(fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
    // cockatiel queues calls behind the half-open probe; we answer them at once instead, so an unhealthy
    // dependency never holds requests (the probe alone waits, bounded by callTimeout).
    if (this.breaker.state === CircuitState.HalfOpen) throw new CircuitOpenError(this.dependency, 1);
    try {
      return await this.policy.execute(async ({ signal }) => {
        try {
          return await fn(signal);
        } catch (error) {
          // Whatever the aborted call threw, the cause is the timeout.
          if (signal.aborted) throw new CallTimeoutError(this.dependency, this.callTimeoutMs);
          throw error;
        }
      });
    } catch (error) {
      if (error instanceof BrokenCircuitError || error instanceof IsolatedCircuitError) {
        const remainingMs = Math.max(0, this.openedAt + this.openMs - Date.now());
        throw new CircuitOpenError(this.dependency, Math.max(1, Math.ceil(remainingMs / 1000)));
      }
      if (error instanceof TaskCancelledError) throw new CallTimeoutError(this.dependency, this.callTimeoutMs);
      throw error;
    }
  }
}
