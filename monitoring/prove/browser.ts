// One headless Chromium (Debian's, through playwright-core: no browser download) for every picture of a run.
import type { Browser, Page } from "playwright-core";

export const DEFAULT_CHROMIUM = "/usr/bin/chromium";
const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
export const VIEWPORT = { width: 1400, height: 900 } as const;

/** Opens url in the page; an HTTP error answer is an error. */
export async function load(page: Page, url: string, timeoutMs: number): Promise<void> {
  const response = await page.goto(url, { waitUntil: "load", timeout: timeoutMs });
  if (response && !response.ok()) throw new Error(`GET ${url} answered HTTP ${response.status()}`);
}

/** Starts Chromium on first use; close() stops it if it was started. */
export class LazyBrowser {
  private started: Promise<Browser> | undefined;

  constructor(
    readonly executablePath: string,
    private readonly timeoutMs: number,
  ) {}

  get(): Promise<Browser> {
    this.started ??= import("playwright-core").then(({ chromium }) =>
      chromium.launch({ executablePath: this.executablePath, args: CHROMIUM_ARGS, timeout: this.timeoutMs }),
    );
    return this.started;
  }

  async close(): Promise<void> {
    if (!this.started) return;
    const browser = await this.started.catch(() => undefined);
    await browser?.close();
  }

  /** How to fix a Chromium that does not start, for check details. */
  hint(): string {
    return `Chromium at ${this.executablePath} (install the Debian package chromium, or set CHROMIUM_PATH)`;
  }
}
