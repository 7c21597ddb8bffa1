// What every surface of the proof works with: the check log, the evidence folder, the browser, the time limit.
import type { LazyBrowser } from "./browser.ts";
import type { CheckLog } from "./checks.ts";
import type { EvidenceDir } from "./evidence.ts";
import { blankReason, pictureStats } from "./picture.ts";

export interface ProofContext {
  log: CheckLog;
  evidence: EvidenceDir;
  browser: LazyBrowser;
  /** Per HTTP request; pages get three times this. */
  timeoutMs: number;
}

/** Records a screenshot Chromium wrote, or throws when it shows nothing. */
export async function keepPicture(context: ProofContext, name: string): Promise<void> {
  const blank = blankReason(await pictureStats(context.evidence.path(name)));
  if (blank) throw new Error(`${name}: ${blank}`);
  context.evidence.record(name);
}
