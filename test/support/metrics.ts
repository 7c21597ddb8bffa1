/** Reads one sample of http_requests_total from the gateway's /metrics (0 when absent). */
export async function requestCount(baseUrl: string, labels: Record<string, string>): Promise<number> {
  const text = await (await fetch(`${baseUrl}/metrics`)).text();
  for (const line of text.split("\n")) {
    if (!line.startsWith("http_requests_total{")) continue;
    const matches = Object.entries(labels).every(([name, value]) => line.includes(`${name}="${value}"`));
    if (matches) return Number(line.slice(line.lastIndexOf(" ") + 1));
  }
  return 0;
}
