// The 5xx ratio of the deployed API, from the Prometheus HTTP query API (GET /api/v1/query, instant vector):
//   {"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[<unix time>,"<number>"]}]}}
// An empty result means "no such series" and counts as 0.
import { formatDuration, MAX_ERROR_RATIO, type PrometheusSettings } from "../settings.ts";

export interface ErrorRatioQuery {
  windowMs: number;
  minRequests: number;
}

export type ErrorRatioResult =
  | { verdict: "pass" | "fail"; errors: number; total: number; ratio: number; detail: string }
  | { verdict: "inconclusive"; detail: string; errors?: number; total?: number };

export function errorRatioQueries(selector: string | undefined, windowMs: number): { errors: string; total: string } {
  const range = `${Math.round(windowMs / 1000)}s`;
  const extra = selector?.trim() ? `,${selector.trim()}` : "";
  const all = selector?.trim() ? `{${selector.trim()}}` : "";
  return {
    errors: `sum(increase(http_requests_total{status=~"5.."${extra}}[${range}]))`,
    total: `sum(increase(http_requests_total${all}[${range}]))`,
  };
}

export class PrometheusError extends Error {
  override readonly name = "PrometheusError";
}

/** One instant query; returns the single sample's value (0 for an empty vector). */
export async function queryScalar(
  settings: PrometheusSettings,
  query: string,
  timeoutMs: number,
  fetchImpl: typeof fetch = fetch,
): Promise<number> {
  const url = new URL("api/v1/query", settings.url.endsWith("/") ? settings.url : `${settings.url}/`);
  url.searchParams.set("query", query);
  const headers: Record<string, string> = { accept: "application/json" };
  if (settings.bearerToken) headers.authorization = `Bearer ${settings.bearerToken}`;
  let response: Response;
  try {
    response = await fetchImpl(url, { headers, signal: AbortSignal.timeout(timeoutMs) });
  } catch (error) {
    throw new PrometheusError(`Prometheus did not answer: ${(error as Error).message}`);
  }
  let body: unknown;
  try {
    body = await response.json();
  } catch {
    throw new PrometheusError(`Prometheus answered HTTP ${response.status} without JSON`);
  }
  const envelope = body as { status?: string; error?: string; data?: { resultType?: string; result?: unknown } };
  if (!response.ok || envelope.status !== "success") {
    throw new PrometheusError(`Prometheus refused the query (HTTP ${response.status}): ${envelope.error ?? "no error text"}`);
  }
  if (envelope.data?.resultType !== "vector" || !Array.isArray(envelope.data.result)) {
    throw new PrometheusError(`Prometheus answered a ${envelope.data?.resultType ?? "missing"} result, expected a vector`);
  }
  const samples = envelope.data.result as { value?: unknown }[];
  if (samples.length === 0) return 0;
  if (samples.length > 1) throw new PrometheusError(`expected one sample from sum(...), got ${samples.length}`);
  const value = samples[0]?.value;
  if (!Array.isArray(value) || typeof value[1] !== "string") throw new PrometheusError("a sample without [time, \"value\"]");
  const number = Number(value[1]);
  return Number.isFinite(number) ? number : 0;
}

/** pass: ratio < 2% with enough traffic; fail: ratio ≥ 2% with enough traffic; inconclusive otherwise. */
export async function checkErrorRatio(
  settings: PrometheusSettings,
  query: ErrorRatioQuery,
  timeoutMs: number,
  fetchImpl: typeof fetch = fetch,
): Promise<ErrorRatioResult> {
  const queries = errorRatioQueries(settings.selector, query.windowMs);
  let errors: number;
  let total: number;
  try {
    [errors, total] = await Promise.all([
      queryScalar(settings, queries.errors, timeoutMs, fetchImpl),
      queryScalar(settings, queries.total, timeoutMs, fetchImpl),
    ]);
  } catch (error) {
    return { verdict: "inconclusive", detail: `cannot read the 5xx ratio: ${(error as Error).message}` };
  }
  const window = formatDuration(query.windowMs);
  if (total < query.minRequests) {
    return {
      verdict: "inconclusive",
      errors,
      total,
      detail: `only ${Math.floor(total)} request(s) in the last ${window}, fewer than the ${query.minRequests} needed to judge the 5xx ratio`,
    };
  }
  const ratio = errors / total;
  const shown = `${(ratio * 100).toFixed(2)}% 5xx (${Math.round(errors)} of ${Math.round(total)} requests in ${window})`;
  return ratio < MAX_ERROR_RATIO
    ? { verdict: "pass", errors, total, ratio, detail: `${shown}, under ${MAX_ERROR_RATIO * 100}%` }
    : { verdict: "fail", errors, total, ratio, detail: `${shown}, not under ${MAX_ERROR_RATIO * 100}%` };
}
