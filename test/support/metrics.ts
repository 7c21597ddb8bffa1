// Reads the gateway's /metrics (Prometheus text). Waiting for a value to arrive (functions report about once a
// second) is vitest's `expect.poll(() => metricSum(...))`.

/** The sum of every sample of `name` whose labels include all of `labels` (0 when there is none). */
export async function metricSum(baseUrl: string, name: string, labels: Record<string, string> = {}): Promise<number> {
  const text = await (await fetch(`${baseUrl}/metrics`)).text();
  let sum = 0;
  for (const line of text.split("\n")) {
    if (!(line.startsWith(`${name}{`) || line.startsWith(`${name} `))) continue;
    const matches = Object.entries(labels).every(([label, value]) => line.includes(`${label}="${value}"`));
    if (matches) sum += Number(line.slice(line.lastIndexOf(" ") + 1));
  }
  return sum;
}

/** http_requests_total over every series whose labels include `labels`. */
export function requestCount(baseUrl: string, labels: Record<string, string>): Promise<number> {
  return metricSum(baseUrl, "http_requests_total", labels);
}
