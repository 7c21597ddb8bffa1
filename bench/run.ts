// `npm run bench -- <name>`: runs one benchmark (or all with no name). Each prints its own figures and ratios.
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
}
