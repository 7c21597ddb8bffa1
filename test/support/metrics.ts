/** Reads one sample of `name` from the gateway's /metrics (0 when absent); all `labels` must match. */
export async function metricValue(baseUrl: string, name: string, labels: Record<string, string>): Promise<number> {
  const text = await (await fetch(`${baseUrl}/metrics`)).text();
  for (const line of text.split("\n")) {
    if (!line.startsWith(`${name}{`)) continue;
    const matches = Object.entries(labels).every(([label, value]) => line.includes(`${label}="${value}"`));
    if (matches) return Number(line.slice(line.lastIndexOf(" ") + 1));
  }
  return 0;
}

/** Reads one sample of http_requests_total from the gateway's /metrics (0 when absent). */
export function requestCount(baseUrl: string, labels: Record<string, string>): Promise<number> {
  return metricValue(baseUrl, "http_requests_total", labels);
}
