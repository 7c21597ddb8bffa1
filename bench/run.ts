// `npm run bench -- <name>`: runs one benchmark (or all with no name). Each prints its own figures and ratios, and
// ends with no process of the stack left: whatever it started below this process must be gone when it returns.
import { alive, commandLine, descendants } from "../test/support/processes.ts";
// tsx's own esbuild service lives as long as this process; it is the runner's, not the stack's.
const RUNNER = /\/esbuild --service/;

const benches: Record<string, () => Promise<{ run(): Promise<void> }>> = {
  startup: () => import("./startup.ts"),
  "patient-flow": () => import("./patient-flow.ts"),
  cache: () => import("./cache.ts"),
  "frontend-loop": () => import("./frontend-loop.ts"),
};

const names = process.argv.slice(2).filter((arg) => !arg.startsWith("-"));
const unknown = names.filter((name) => !(name in benches));
if (unknown.length) {
  console.error(`Unknown benchmark(s): ${unknown.join(", ")}. Available: ${Object.keys(benches).join(", ")}`);
  process.exit(2);
}
for (const name of names.length ? names : Object.keys(benches)) {
  console.log(`\n== bench ${name}`);
  await (await benches[name]!()).run();
  const left = await leftovers();
  if (left.length > 0) {
    console.error(`bench ${name} left ${left.length} process(es) running:\n${left.join("\n")}`);
    process.exit(1);
  }
  console.log("processes left running: none");
}

/** Live processes below this one, after giving any that are exiting right now a moment to go. */
async function leftovers(): Promise<string[]> {
  const deadline = Date.now() + 3_000;
  for (;;) {
    const left = descendants(process.pid).filter((pid) => alive(pid) && !RUNNER.test(commandLine(pid)));
    if (left.length === 0 || Date.now() > deadline) return left.map((pid) => `  ${pid} ${commandLine(pid).slice(0, 200)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
