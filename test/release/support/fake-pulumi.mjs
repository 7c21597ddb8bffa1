// A fake `pulumi` CLI for the release tool's tests. The Automation API runs it exactly as it runs the real CLI
// (as <root>/bin/pulumi or `pulumi` on PATH); it answers the invocations the Automation API makes, in the CLI's
// documented shapes, and keeps everything in one JSON state file:
//
//   { "stacks": { "<name>": { "config": {}, "outputs": {}, "secretOutputs": [], "history": [], "deployed": {...}, "locked"?: true } },
//     "invocations": [ { "args": [...], "cwd": "..." } ] }
//
// Supported: version; stack select --stack; stack init; stack rm; stack output --json [--show-secrets];
// stack history --json [--show-secrets] [--page-size --page]; config set-all --plaintext k=v; up --yes --skip-preview;
// preview; destroy --yes --skip-preview. Anything else fails loudly (exit 2), so a test notices an unexpected call.
//
// `up` deploys "the program in cwd": it records cwd's git HEAD as the CLI records `git.head`, and copies cwd's
// release.json (the test repository's description of how that release behaves) into the stack's `deployed`, where the
// fake API and fake Prometheus read it. release.json {"up": "fail"} makes the update fail.
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";

const VERSION = "v3.248.0";
const VALUE_FLAGS = new Set(["--stack", "-s", "--message", "-m", "--exec-kind", "--page-size", "--page", "--client",
  "--event-log", "--config-file", "--parallel", "--secrets-provider", "--color", "--exec-agent"]);

const [statePath, ...args] = process.argv.slice(2);
const cwd = process.cwd();

function load() {
  return existsSync(statePath) ? JSON.parse(readFileSync(statePath, "utf8")) : { stacks: {}, invocations: [] };
}
function save(state) {
  const temp = `${statePath}.${process.pid}.tmp`;
  writeFileSync(temp, JSON.stringify(state, null, 2));
  renameSync(temp, statePath);
}
function parse(argv) {
  const flags = {};
  const positionals = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--") { positionals.push(...argv.slice(i + 1)); break; }
    if (arg.startsWith("-")) {
      const [name, inline] = arg.split("=", 2);
      if (inline !== undefined) flags[name] = inline;
      else if (VALUE_FLAGS.has(name)) flags[name] = argv[++i];
      else flags[name] = true;
    } else positionals.push(arg);
  }
  return { flags, positionals };
}
function fail(message, code = 255) {
  process.stderr.write(`error: ${message}\n`);
  process.exit(code);
}
function gitHead(dir) {
  try {
    const head = execFileSync("git", ["rev-parse", "HEAD"], { cwd: dir, encoding: "utf8" }).trim();
    const dirty = execFileSync("git", ["status", "--porcelain"], { cwd: dir, encoding: "utf8" }).trim() !== "";
    return { "git.head": head, "git.dirty": String(dirty) };
  } catch {
    return {};
  }
}
function rfc3339(date) {
  return date.toISOString().replace(/\.\d{3}Z$/, "Z");
}

const state = load();
state.invocations.push({ args, cwd });
save(state);

const { flags, positionals } = parse(args);
const stackName = flags["--stack"] ?? flags["-s"];
const stack = stackName ? state.stacks[stackName] : undefined;
const needStack = () => {
  if (!stackName) fail("no stack selected; pass --stack");
  if (!stack) fail(`no stack named '${stackName}' found`);
  return stack;
};
const [command, sub] = positionals;

if (command === "version") {
  process.stdout.write(`${VERSION}\n`);
} else if (command === "stack" && sub === "select") {
  needStack();
} else if (command === "stack" && sub === "init") {
  const name = positionals[2];
  if (state.stacks[name]) fail(`stack '${name}' already exists`);
  state.stacks[name] = { config: {}, outputs: state.newStackOutputs?.[name] ?? {}, secretOutputs: [], history: [] };
  save(state);
  process.stdout.write(`Created stack '${name}'\n`);
} else if (command === "stack" && sub === "rm") {
  const name = positionals[2] ?? stackName;
  if (!state.stacks[name]) fail(`no stack named '${name}' found`);
  delete state.stacks[name];
  save(state);
  process.stdout.write(`Stack '${name}' has been removed!\n`);
} else if (command === "stack" && sub === "output") {
  const s = needStack();
  if (!flags["--json"]) fail("fake pulumi: stack output without --json is not supported", 2);
  const shown = {};
  for (const [key, value] of Object.entries(s.outputs)) {
    shown[key] = s.secretOutputs.includes(key) && !flags["--show-secrets"] ? "[secret]" : value;
  }
  process.stdout.write(`${JSON.stringify(shown, null, 4)}\n`);
} else if (command === "stack" && sub === "history") {
  const s = needStack();
  if (!flags["--json"]) fail("fake pulumi: stack history without --json is not supported", 2);
  const newestFirst = [...s.history].reverse();
  const size = Number(flags["--page-size"] ?? 10);
  const page = Number(flags["--page"] ?? 1);
  process.stdout.write(`${JSON.stringify(newestFirst.slice((page - 1) * size, page * size), null, 4)}\n`);
} else if (command === "config" && sub === "set-all") {
  const s = needStack();
  for (const pair of positionals.slice(2)) {
    const eq = pair.indexOf("=");
    s.config[pair.slice(0, eq)] = { value: pair.slice(eq + 1), secret: Boolean(flags["--secret"]) };
  }
  save(state);
} else if (command === "up" || command === "destroy") {
  const s = needStack();
  if (!flags["--yes"]) fail("--yes or --skip-preview must be passed in to proceed when running in non-interactive mode");
  if (s.locked) {
    fail(`the stack is currently locked by 1 lock(s). Either wait for the other process(es) to end or delete the lock file with \`pulumi cancel\`.`);
  }
  const releaseFile = path.join(cwd, "release.json");
  const release = existsSync(releaseFile) ? JSON.parse(readFileSync(releaseFile, "utf8")) : {};
  const start = new Date();
  const entry = {
    version: s.history.length + 1,
    kind: command === "up" ? "update" : "destroy",
    startTime: rfc3339(start),
    message: flags["--message"] ?? "",
    environment: { "exec.kind": flags["--exec-kind"] ?? "cli", ...gitHead(cwd) },
    config: s.config,
  };
  process.stdout.write(`${command === "up" ? "Updating" : "Destroying"} (${stackName})\n\n`);
  if (command === "up" && release.up === "fail") {
    s.history.push({ ...entry, result: "failed", endTime: rfc3339(new Date()), resourceChanges: {} });
    save(state);
    process.stdout.write(" +  pulumi:pulumi:Stack love-backend-" + stackName + " creating (0s) error: update failed\n");
    fail("update failed");
  }
  if (command === "up") {
    s.deployed = { commit: entry.environment["git.head"] ?? null, dir: cwd, release };
    s.history.push({ ...entry, result: "succeeded", endTime: rfc3339(new Date()), resourceChanges: { same: 3, update: 1 } });
    process.stdout.write("     Type                 Name                       Status\n");
    process.stdout.write(" ~   pulumi:pulumi:Stack  love-backend-" + stackName + "  updated\n\nResources:\n    ~ 1 updated\n    3 unchanged\n\nDuration: 1s\n");
  } else {
    delete s.deployed;
    s.history.push({ ...entry, result: "succeeded", endTime: rfc3339(new Date()), resourceChanges: { delete: 4 } });
    process.stdout.write("Resources:\n    - 4 deleted\n\nDuration: 1s\n");
  }
  save(state);
} else if (command === "preview") {
  needStack();
  process.stdout.write(`Previewing update (${stackName})\n\nResources:\n    ~ 1 to update\n    3 unchanged\n`);
} else {
  fail(`fake pulumi: unsupported invocation: ${args.join(" ")}`, 2);
}
