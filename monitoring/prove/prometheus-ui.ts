// Pictures of Prometheus' own pages: the alerts page with High5xxErrorRate expanded, and the graph of the alert's
// 5xx ratio over the last hour with its 2% threshold as a second series.
// Three UIs exist: the classic pages (Debian's prometheus package, which ships no React UI: /classic/...), the
// React UI of upstream 2.x (/alerts, /graph) and Prometheus 3's (/alerts, /query).
import type { Browser, Page } from "playwright-core";
import { ERROR_RATIO_EXPR, ERROR_RATIO_THRESHOLD, HIGH_5XX_ALERT } from "../rules.ts";
import { getJson } from "./http.ts";
import { VIEWPORT, load } from "./browser.ts";

export const GRAPH_RANGE = "1h";
const RATIO_SERIES = "5xx ratio (High5xxErrorRate, 5m)";
const THRESHOLD_SERIES = `threshold ${ERROR_RATIO_THRESHOLD * 100}%`;

/** The alert's ratio and a flat line at its threshold, as two labelled series of one expression (one chart). */
export const RATIO_GRAPH_EXPR =
  `label_replace(${ERROR_RATIO_EXPR}, "series", "${RATIO_SERIES}", "", "")` +
  ` or label_replace(vector(${ERROR_RATIO_THRESHOLD}), "series", "${THRESHOLD_SERIES}", "", "")`;

type Ui = "classic" | "react2" | "react3";

async function status(url: string, timeoutMs: number): Promise<number> {
  const response = await fetch(url, { redirect: "manual", signal: AbortSignal.timeout(timeoutMs) });
  await response.body?.cancel();
  return response.status;
}

/** Which UI this Prometheus serves. */
export async function detectUi(prometheus: string, timeoutMs: number): Promise<Ui> {
  const info = (await getJson(`${prometheus}/api/v1/status/buildinfo`, timeoutMs).catch(() => undefined)) as
    | { data?: { version?: string } }
    | undefined;
  if (Number(info?.data?.version?.split(".")[0]) >= 3) return "react3";
  return (await status(`${prometheus}/alerts`, timeoutMs)) === 404 ? "classic" : "react2";
}

export function alertsPageUrl(prometheus: string, ui: Ui): string {
  return ui === "classic" ? `${prometheus}/classic/alerts` : `${prometheus}/alerts`;
}

export function graphPageUrl(prometheus: string, ui: Ui): string {
  const expr = encodeURIComponent(RATIO_GRAPH_EXPR);
  if (ui === "react3") return `${prometheus}/query?g0.expr=${expr}&g0.tab=graph&g0.range_input=${GRAPH_RANGE}`;
  return `${prometheus}${ui === "classic" ? "/classic/graph" : "/graph"}?g0.expr=${expr}&g0.tab=0&g0.range_input=${GRAPH_RANGE}`;
}

/** The chart's element in each UI (Rickshaw's svg, flot's canvas, uPlot). */
const PLOT_SELECTOR = ".rickshaw_graph svg, .graph-chart, .uplot";

async function open(browser: Browser, url: string, timeoutMs: number): Promise<Page> {
  const page = await browser.newPage({ viewport: VIEWPORT });
  await load(page, url, timeoutMs);
  return page;
}

/**
 * The alerts page, full length. When the rule is loaded, waits until its name renders and clicks it: every UI lists
 * rules collapsed, and the expanded entry shows the expression, labels, annotations and active alerts.
 */
export async function screenshotAlerts(browser: Browser, url: string, file: string, options: { timeoutMs: number; waitForRule: boolean }): Promise<void> {
  const page = await open(browser, url, options.timeoutMs);
  try {
    if (options.waitForRule) {
      const name = page.getByText(HIGH_5XX_ALERT, { exact: false }).first();
      await name.waitFor({ state: "visible", timeout: options.timeoutMs });
      await name.click({ timeout: 2_000 }).catch(() => undefined);
      await page.waitForTimeout(300);
    }
    await page.screenshot({ path: file, fullPage: true });
  } finally {
    await page.close();
  }
}

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

/**
 * The graph page, with a caption line on top that writes the current value on the picture. Returns where the chart
 * is on the picture (page coordinates of the full-page screenshot).
 */
export async function screenshotRatioGraph(browser: Browser, url: string, file: string, options: { timeoutMs: number; caption: string }): Promise<Box> {
  const page = await open(browser, url, options.timeoutMs);
  try {
    const plot = page.locator(PLOT_SELECTOR).first();
    await plot.waitFor({ state: "visible", timeout: options.timeoutMs });
    await page.evaluate((caption) => {
      const bar = document.createElement("div");
      bar.id = "love-proof-caption";
      bar.textContent = caption;
      bar.setAttribute("style", "font: 600 18px sans-serif; padding: 10px 16px; background: #fff3cd; color: #222; border-bottom: 2px solid #999");
      document.body.prepend(bar);
    }, options.caption);
    await page.waitForTimeout(500); // the chart re-lays out after the caption moved it
    const box = await plot.boundingBox();
    if (!box) throw new Error(`the chart on ${url} has no size`);
    const scroll = await page.evaluate(() => ({ x: window.scrollX, y: window.scrollY }));
    await page.screenshot({ path: file, fullPage: true });
    return { x: Math.round(box.x + scroll.x), y: Math.round(box.y + scroll.y), width: Math.round(box.width), height: Math.round(box.height) };
  } finally {
    await page.close();
  }
}
