// One HTTP exchange with the Management API: bearer auth, per-scope rate limiting, retries (honouring Retry-After /
// X-RateLimit-Reset), and typed errors that never contain the token. A 429 is retried on every call: the API refused
// it before doing anything, so even a create is safe to send again. Anything else is retried on idempotent calls only.
import { apiMessageFrom, ManagementApiError, ManagementApiTransportError, redact } from "./errors.ts";
import { type Clock, ScopedRateLimiter, systemClock } from "./rate-limiter.ts";
import { DEFAULT_RETRY_POLICY, isRetryableStatus, type RetryPolicy, retryDelayMs } from "./retry-policy.ts";

export type HttpMethod = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
export type QueryValue = string | number | boolean | readonly string[] | undefined;

export interface ApiRequest {
  method: HttpMethod;
  /** Path under the base URL, e.g. `/v1/projects/abc/secrets`. */
  path: string;
  query?: Record<string, QueryValue>;
  json?: unknown;
  form?: FormData;
  /** Only calls that are safe to send twice are ever retried. */
  idempotent: boolean;
  /** Rate-limit scope: a project ref, `org:<slug>` or `account`. */
  scope: string;
  /** Non-2xx statuses the caller handles itself (returned instead of thrown). */
  accept?: readonly number[];
}

export interface ApiResponse<T> {
  status: number;
  body: T;
}

export interface TransportOptions {
  accessToken: string;
  /** Default https://api.supabase.com */
  baseUrl?: string;
  /** Per scope; default 2. */
  requestsPerSecond?: number;
  retry?: Partial<RetryPolicy>;
  /** Per attempt; default 120 s (function uploads are bundled server-side before the answer). */
  requestTimeoutMs?: number;
  clock?: Clock;
  fetch?: typeof fetch;
}

export const DEFAULT_BASE_URL = "https://api.supabase.com";

export class ManagementTransport {
  private readonly baseUrl: string;
  private readonly limiter: ScopedRateLimiter;
  private readonly retry: RetryPolicy;
  private readonly clock: Clock;
  private readonly fetchImpl: typeof fetch;
  private readonly requestTimeoutMs: number;

  constructor(private readonly options: TransportOptions) {
    if (!options.accessToken) throw new Error("A Supabase access token is required (SUPABASE_ACCESS_TOKEN / supabaseAccessToken)");
    this.baseUrl = (options.baseUrl ?? DEFAULT_BASE_URL).replace(/\/+$/, "");
    this.clock = options.clock ?? systemClock;
    this.limiter = new ScopedRateLimiter(options.requestsPerSecond ?? 2, this.clock);
    this.retry = { ...DEFAULT_RETRY_POLICY, ...options.retry };
    this.fetchImpl = options.fetch ?? fetch;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 120_000;
  }

  async request<T>(request: ApiRequest): Promise<ApiResponse<T>> {
    const endpoint = `${request.method} ${request.path}`;
    for (let attempt = 0; ; attempt++) {
      const mayRetry = request.idempotent && attempt < this.retry.maxRetries;
      await this.limiter.acquire(request.scope);
      let response: Response;
      try {
        response = await this.fetchImpl(this.url(request), this.init(request));
      } catch (error) {
        if (mayRetry) {
          await this.clock.sleep(retryDelayMs(this.retry, attempt, undefined, this.clock.now()));
          continue;
        }
        throw new ManagementApiTransportError(endpoint, this.redact(describeFetchError(error)));
      }

      const text = await response.text();
      if (response.ok || request.accept?.includes(response.status)) {
        return { status: response.status, body: parseBody(text) as T };
      }

      const retryable = isRetryableStatus(response.status);
      const delayMs = retryable ? retryDelayMs(this.retry, attempt, response.headers, this.clock.now()) : undefined;
      if (response.status === 429 && delayMs !== undefined) {
        this.limiter.pause(request.scope, this.clock.now() + delayMs);
      }
      const rateLimited = response.status === 429 && attempt < this.retry.maxRetries;
      if (retryable && (mayRetry || rateLimited) && delayMs !== undefined) {
        await this.clock.sleep(delayMs);
        continue;
      }
      const note = retryable
        ? request.idempotent || response.status === 429
          ? `gave up after ${attempt + 1} attempts`
          : "not retried: this call is not idempotent"
        : undefined;
      throw new ManagementApiError(endpoint, response.status, this.redact(apiMessageFrom(text)), delayMs, note);
    }
  }

  private url(request: ApiRequest): string {
    const url = new URL(this.baseUrl + request.path);
    for (const [key, value] of Object.entries(request.query ?? {})) {
      if (value === undefined) continue;
      if (Array.isArray(value)) for (const item of value) url.searchParams.append(key, item);
      else url.searchParams.set(key, String(value));
    }
    return url.toString();
  }

  private init(request: ApiRequest): RequestInit {
    const headers: Record<string, string> = {
      authorization: `Bearer ${this.options.accessToken}`,
      accept: "application/json",
    };
    let body: BodyInit | undefined;
    if (request.form) {
      body = request.form;
    } else if (request.json !== undefined) {
      headers["content-type"] = "application/json";
      body = JSON.stringify(request.json);
    }
    return { method: request.method, headers, body, signal: AbortSignal.timeout(this.requestTimeoutMs) };
  }

  private redact(text: string): string {
    return redact(text, [this.options.accessToken]);
  }
}

function parseBody(text: string): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function describeFetchError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = (error as Error & { cause?: unknown }).cause;
  return cause instanceof Error ? `${error.message}: ${cause.message}` : error.message;
}
