// The program of a checkout (the repository, or a rollback's worktree) as an Automation API inline program, so that
// `pulumi up` needs no nodejs language host: the CLI calls back into this process, which runs the checkout's
// infra/program.ts. The Automation API is loaded from the same checkout's node_modules, so the program's resources
// register with the @pulumi/pulumi runtime the language server configured (a second copy would not be connected).
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { pathToFileURL } from "node:url";
import * as ownAutomation from "@pulumi/pulumi/automation/index.js";

export type Automation = typeof ownAutomation;
export type InlineProgram = () => Promise<Record<string, unknown>>;

/** The checkout's Automation API; this process's own when the checkout has no dependencies installed. */
export function automationOf(workDir: string): Automation {
  const requireFromCheckout = createRequire(path.join(workDir, "package.json"));
  let resolved: string;
  try {
    resolved = requireFromCheckout.resolve("@pulumi/pulumi/automation/index.js");
  } catch {
    return ownAutomation;
  }
  return requireFromCheckout(resolved) as Automation;
}

let runs = 0;

/** infra/program.ts's `program()`; for commits older than it, infra/index.ts's exports (imported afresh each run). */
export function inlineProgramOf(workDir: string): InlineProgram {
  const programFile = path.join(workDir, "infra", "program.ts");
  const indexFile = path.join(workDir, "infra", "index.ts");
  return async () => {
    if (existsSync(programFile)) {
      const module = (await import(pathToFileURL(programFile).href)) as { program?: InlineProgram };
      if (typeof module.program !== "function") throw new Error(`${programFile} exports no program()`);
      return module.program();
    }
    // Top-level program code runs on import: a fresh module instance per run.
    const module = (await import(`${pathToFileURL(indexFile).href}?run=${++runs}`)) as Record<string, unknown>;
    return { ...module };
  };
}

/** The dynamic-provider launcher ships in the checkout's @pulumi/pulumi; the engine looks for it on PATH. */
export function providerLauncherPath(workDir: string, currentPath = process.env.PATH ?? ""): string {
  return [path.join(workDir, "node_modules", "@pulumi", "pulumi"), currentPath].filter(Boolean).join(path.delimiter);
}
