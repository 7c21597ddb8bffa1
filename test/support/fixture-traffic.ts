// Traffic through the local gateway to the fixture functions (test/fixtures/functions): echo answers 200, boom
// throws, so the gateway counts a 500. Sequential, each answer read to the end.
export async function driveTraffic(baseUrl: string, ok: number, failing: number): Promise<void> {
  const calls = [
    ...Array.from({ length: ok }, () => `${baseUrl}/api/v1/echo/status`),
    ...Array.from({ length: failing }, () => `${baseUrl}/api/v1/boom/x`),
  ];
  for (const url of calls) await (await fetch(url)).text();
}
