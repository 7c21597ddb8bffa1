// The browser's password dialog for the sign-in suites (Chromium itself: test/support/browser.ts).
//
// Headless Chromium has no dialog: Playwright's `httpCredentials` answers it (CDP Fetch.authRequired →
// continueWithAuth). `PasswordDialog` does the same through its own CDP session, so a test can also see how
// often the dialog would have appeared, type a password only when it wants, or dismiss the dialog (without an
// answer, headless Chromium would wait for one forever).
import type { Browser, BrowserContext, CDPSession, Page } from "playwright-core";

export interface Credentials {
  username: string;
  password: string;
}

export class PasswordDialog {
  /** The URL of every request for which the browser would have shown its dialog. */
  readonly prompts: string[] = [];
  /** What the person types when the dialog appears; null: they dismiss it. */
  typed: Credentials | null = null;

  private constructor(private readonly session: CDPSession) {}

  static async attach(page: Page): Promise<PasswordDialog> {
    const session = await page.context().newCDPSession(page);
    const dialog = new PasswordDialog(session);
    session.on("Fetch.requestPaused", (event) => {
      session.send("Fetch.continueRequest", { requestId: event.requestId }).catch(() => {});
    });
    session.on("Fetch.authRequired", (event) => {
      dialog.prompts.push(event.request.url);
      const typed = dialog.typed;
      session.send("Fetch.continueWithAuth", {
        requestId: event.requestId,
        authChallengeResponse: typed
          ? { response: "ProvideCredentials", username: typed.username, password: typed.password }
          : { response: "CancelAuth" },
      }).catch(() => {});
    });
    await session.send("Fetch.enable", { handleAuthRequests: true, patterns: [{ urlPattern: "*" }] });
    return dialog;
  }

  async detach(): Promise<void> {
    await this.session.detach().catch(() => {});
  }
}

export interface StaffCallResult {
  path: string;
  method: string;
  status: number;
  // deno-lint-ignore no-explicit-any -- the backend's JSON, asserted field by field.
  body: any;
}

/** The replica admin page's own calls, run in the page (same-origin fetches, as the frontend makes them). */
export const staff = {
  load: (page: Page) => page.evaluate(() => (window as any).staff.load()) as Promise<StaffCallResult[]>,
  pins: (page: Page) => page.evaluate(() => (window as any).staff.pins()) as Promise<StaffCallResult>,
  callNext: (page: Page, clinic: string) =>
    page.evaluate((c) => (window as any).staff.callNext(c), clinic) as Promise<StaffCallResult>,
  signOut: (page: Page) => page.evaluate(() => (window as any).staff.signOut()) as Promise<StaffCallResult>,
};

export async function newPage(browser: Browser, options: Parameters<Browser["newContext"]>[0] = {}): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext(options);
  const page = await context.newPage();
  return { context, page };
}
