// The dashboard page in kiosk mode (no navigation, only the panels), as a signed-in viewer would see it. The
// credential goes only to Grafana's own origin: the page may load other origins (avatars, news), which never get it.
import type { Browser } from "playwright-core";
import { VIEWPORT, load } from "./browser.ts";

/** /d/<uid>/<slug>?orgId=1&kiosk&from=..&to=.. from the dashboard's meta.url (which carries Grafana's sub-path). */
export function dashboardPageUrl(base: string, metaUrl: string | undefined, uid: string, range: { from: string; to: string }): string {
  const page = new URL(metaUrl ?? `/d/${uid}`, `${base}/`);
  if (!metaUrl) page.pathname = `${new URL(base).pathname.replace(/\/+$/, "")}/d/${uid}`;
  page.search = `orgId=1&from=${encodeURIComponent(range.from)}&to=${encodeURIComponent(range.to)}&kiosk`;
  return page.href;
}

export async function screenshotDashboard(
  browser: Browser,
  url: string,
  file: string,
  options: { authorization: string; waitForText: string; timeoutMs: number },
): Promise<void> {
  const origin = new URL(url).origin;
  const context = await browser.newContext({ viewport: VIEWPORT });
  try {
    await context.route("**/*", async (route) => {
      const request = route.request();
      if (new URL(request.url()).origin !== origin) return route.continue();
      return route.continue({ headers: { ...request.headers(), authorization: options.authorization } });
    });
    const page = await context.newPage();
    await load(page, url, options.timeoutMs);
    if (new URL(page.url()).pathname.endsWith("/login")) throw new Error(`Grafana sent the browser to its login page (${page.url()}): the credentials were not accepted`);
    await page.getByText(options.waitForText, { exact: false }).first().waitFor({ state: "visible", timeout: options.timeoutMs });
    // Panels load their data after the layout; Grafana Live keeps a socket open, so "idle" is bounded.
    await page.waitForLoadState("networkidle", { timeout: Math.min(options.timeoutMs, 15_000) }).catch(() => undefined);
    await page.waitForTimeout(500);
    await page.screenshot({ path: file, fullPage: true });
  } finally {
    await context.close();
  }
}
