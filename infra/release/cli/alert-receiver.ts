// npm run release:alert-receiver -- --stack prod   (off by default; see infra/release/README.md)
// Alertmanager webhook → guarded `npm run rollback -- --stack <stack>` in this checkout.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { AlertRollbackGuard, DEFAULT_POLICY, type ReceiverState } from "../alert-receiver.ts";
import { createReceiverServer } from "../alert-receiver-server.ts";
import { repoRoot } from "../git.ts";
import { openStack } from "../pulumi-stack.ts";
import { checkStackName, parseDuration, UsageError } from "../settings.ts";
import { parseFlags, runCli } from "./common.ts";

const USAGE = `usage: npm run release:alert-receiver -- --stack <name> [--port 9099] [--path /alerts/webhook]
    [--window 30m] [--cooldown 60m] [--state-file .local/alert-receiver.json] [--token-file <file>]
  Off by default: starts only with LOVE_AUTO_ROLLBACK=on. Bearer token from LOVE_ALERT_RECEIVER_TOKEN or --token-file.
  Kill switch: LOVE_AUTO_ROLLBACK_KILL=1, or the file named by LOVE_AUTO_ROLLBACK_KILL_FILE
  (default .local/auto-rollback.off) existing; checked on every alert.`;

await runCli("alert-receiver", USAGE, async () => {
  const { values } = parseFlags(process.argv.slice(2), {
    stack: { type: "string" },
    port: { type: "string" },
    path: { type: "string" },
    window: { type: "string" },
    cooldown: { type: "string" },
    "state-file": { type: "string" },
    "token-file": { type: "string" },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (process.env.LOVE_AUTO_ROLLBACK !== "on") {
    console.log("alert-receiver: automatic rollback is off (set LOVE_AUTO_ROLLBACK=on to start the receiver)");
    return 0;
  }
  if (!values.stack) throw new UsageError("--stack is required");
  const stack = checkStackName(values.stack);
  const repoDir = await repoRoot(process.cwd());
  const token = values["token-file"] ? (await readFile(values["token-file"], "utf8")).trim() : process.env.LOVE_ALERT_RECEIVER_TOKEN?.trim();
  if (!token) throw new UsageError("a bearer token is required: LOVE_ALERT_RECEIVER_TOKEN or --token-file");
  const killFile = path.resolve(repoDir, process.env.LOVE_AUTO_ROLLBACK_KILL_FILE ?? ".local/auto-rollback.off");
  const stateFile = path.resolve(repoDir, values["state-file"] ?? ".local/alert-receiver.json");
  const port = Number(values.port ?? 9099);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new UsageError(`--port ${values.port}: not a port`);

  let running: ChildProcess | undefined;
  const guard = new AlertRollbackGuard(
    {
      enabled: true,
      stack,
      alertNames: DEFAULT_POLICY.alertNames,
      deployWindowMs: values.window ? parseDuration(values.window, "--window") : DEFAULT_POLICY.deployWindowMs,
      cooldownMs: values.cooldown ? parseDuration(values.cooldown, "--cooldown") : DEFAULT_POLICY.cooldownMs,
    },
    {
      now: () => new Date(),
      killSwitch: () => process.env.LOVE_AUTO_ROLLBACK_KILL === "1" || existsSync(killFile),
      lastDeployAt: async () => (await (await openStack({ workDir: repoDir, stack, create: false })).lastDeployment())?.endTime,
      requestRollback: async (request) => {
        if (running && running.exitCode === null) throw new Error("a rollback is already running");
        console.log(`alert-receiver: rolling back ${request.stack}: ${request.reason}`);
        running = spawn("npm", ["run", "rollback", "--", "--stack", request.stack], { cwd: repoDir, stdio: "inherit" });
        await new Promise<void>((resolve, reject) => running?.once("spawn", resolve).once("error", reject));
      },
      store: {
        load: async () => (existsSync(stateFile) ? (JSON.parse(await readFile(stateFile, "utf8")) as ReceiverState) : undefined),
        save: async (state) => {
          await mkdir(path.dirname(stateFile), { recursive: true });
          await writeFile(stateFile, JSON.stringify(state, null, 2));
        },
      },
    },
  );
  const server = createReceiverServer({
    guard,
    token,
    ...(values.path ? { path: values.path } : {}),
    onDecision: (decision) => console.log(`alert-receiver: ${decision.action}: ${decision.reason}${"error" in decision && decision.error ? ` (${decision.error})` : ""}`),
  });
  await new Promise<void>((resolve) => server.listen(port, resolve));
  console.log(`alert-receiver: listening on :${port}${values.path ?? "/alerts/webhook"} for ${stack}; kill switch file ${killFile}`);
  await new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return 0;
});
