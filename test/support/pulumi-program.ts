// Runs the real Pulumi program (infra/index.ts) under pulumi.runtime.setMocks for one stack, with the stack's
// configuration taken from Pulumi.yaml and Pulumi.<stack>.yaml as the CLI would merge them, and records what
// the engine would be asked to register: type, name, inputs, protect, retainOnDelete, secret outputs.
// One stack per test file: the Pulumi SDK keeps its state in process globals.
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import * as pulumi from "@pulumi/pulumi";
import { parse } from "yaml";

export const PROJECT = "love-backend";
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

export interface Registration {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
  protect: boolean;
  retainOnDelete: boolean;
  additionalSecretOutputs: string[];
  /** URNs this resource waits for (dependsOn and the resources its inputs come from). */
  dependencies: string[];
}

export interface ProgramRun {
  registrations: Registration[];
  /** Stack outputs, resolved (an output the program leaves undefined is present with the value undefined). */
  outputs: Record<string, unknown>;
  /** Names of the stack outputs that are Pulumi secrets (shown only with `pulumi stack output --show-secrets`). */
  secretOutputs: string[];
  /** What the program logged with pulumi.log.warn (the config's warnings and the components'), in order. */
  warnings: string[];
}

interface RegisterResourceRequest {
  getType(): string;
  getName(): string;
  getProtect(): boolean;
  getRetainondelete(): boolean;
  getAdditionalsecretoutputsList(): string[];
  getDependenciesList(): string[];
}

/** Project defaults merged with the stack file, as `pulumi config` shows them (values as strings or JSON). */
export function stackFileConfig(stack: string, useStackFile = true): Record<string, string> {
  const project = parse(readFileSync(path.join(REPO_ROOT, "Pulumi.yaml"), "utf8")) as {
    config?: Record<string, { default?: unknown }>;
  };
  const config: Record<string, string> = {};
  for (const [key, declaration] of Object.entries(project.config ?? {})) {
    if (declaration.default !== undefined) config[`${PROJECT}:${key}`] = configText(declaration.default);
  }
  const stackFile = path.join(REPO_ROOT, `Pulumi.${stack}.yaml`);
  if (useStackFile && existsSync(stackFile)) {
    const overrides = (parse(readFileSync(stackFile, "utf8")) as { config?: Record<string, unknown> }).config ?? {};
    for (const [key, value] of Object.entries(overrides)) config[key] = configText(value);
  }
  return config;
}

function configText(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}

/**
 * Runs infra/index.ts as stack `stack`. `extra` and `secrets` are un-namespaced keys, as `pulumi config set`
 * takes them; secrets are marked secret the way `--secret` marks them. Preview stacks have no stack file in the
 * repository, so a local one (left by a manual `pulumi stack init pr-<n>`) is ignored for them.
 */
export async function runProgram(stack: string, extra: Record<string, string>, secrets: Record<string, string>): Promise<ProgramRun> {
  const config = { ...stackFileConfig(stack, !stack.startsWith("pr-")) };
  for (const [key, value] of Object.entries({ ...extra, ...secrets })) config[`${PROJECT}:${key}`] = value;
  // What the program reads from the environment must come from the test, not from the developer's shell.
  delete process.env["SUPABASE_ACCESS_TOKEN"];
  delete process.env["LOVE_RELEASE"];
  pulumi.runtime.setAllConfig(config, Object.keys(secrets).map((key) => `${PROJECT}:${key}`));

  const inputsByName = new Map<string, Record<string, unknown>>();
  await pulumi.runtime.setMocks(
    {
      newResource: (args) => {
        inputsByName.set(`${args.type}::${args.name}`, args.inputs as Record<string, unknown>);
        return { id: `${args.name}-id`, state: { ...args.inputs, ...computedOutputs(args.type, stack, args.name, args.inputs) } };
      },
      call: (args) => args.inputs,
    },
    PROJECT,
    stack,
    false,
  );

  const requests: RegisterResourceRequest[] = [];
  const monitor = pulumi.runtime.getMonitor() as unknown as {
    registerResource(request: RegisterResourceRequest, callback: unknown): unknown;
  };
  const register = monitor.registerResource.bind(monitor);
  monitor.registerResource = (request, callback) => {
    requests.push(request);
    return register(request, callback);
  };

  // Without an engine (as under mocks), pulumi.log.warn prints "warning: [runtime] <message>" with console.warn.
  const warnings: string[] = [];
  const consoleWarn = console.warn;
  console.warn = (...args: unknown[]) => {
    const line = args.map(String).join(" ");
    if (line.startsWith(RUNTIME_WARNING)) warnings.push(line.slice(RUNTIME_WARNING.length));
    else consoleWarn(...args);
  };
  const outputs: Record<string, unknown> = {};
  const secretOutputs: string[] = [];
  try {
    const { program } = await import("../../infra/program.ts");
    for (const [name, value] of Object.entries(await program())) {
      if (pulumi.Output.isInstance(value)) {
        if (await pulumi.isSecret(value)) secretOutputs.push(name);
        outputs[name] = await promiseOf(value);
      } else {
        outputs[name] = value;
      }
    }
  } finally {
    console.warn = consoleWarn;
  }
  const registrations = requests.map((request) => ({
    type: request.getType(),
    name: request.getName(),
    inputs: inputsByName.get(`${request.getType()}::${request.getName()}`) ?? {},
    protect: request.getProtect(),
    retainOnDelete: request.getRetainondelete(),
    additionalSecretOutputs: request.getAdditionalsecretoutputsList(),
    dependencies: request.getDependenciesList(),
  }));
  return { registrations, outputs, secretOutputs, warnings };
}

const RUNTIME_WARNING = "warning: [runtime] ";

/** What the providers compute, so that outputs derived from them resolve. */
function computedOutputs(type: string, stack: string, name: string, inputs: Record<string, unknown>): Record<string, unknown> {
  if (type === RANDOM_PASSWORD) return { result: generatedPassword(name) };
  // An adopted project keeps the ref it was given (supabaseProjectRef).
  if (type.endsWith(":AdoptedProject")) return { url: `https://${String(inputs["ref"])}.supabase.co` };
  if (!type.endsWith(":Project") && !type.endsWith(":Branch")) return {};
  const ref = `${stack.replace(/[^a-z]/g, "")}${"x".repeat(20)}`.slice(0, 20);
  return { ref, url: `https://${ref}.supabase.co` };
}

export function promiseOf<T>(output: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => output.apply((value) => resolve(value)));
}

/** True when a recorded input is a Pulumi secret. */
export function isSecret(value: unknown): boolean {
  return (
    typeof value === "object" &&
    value !== null &&
    (value as Record<string, unknown>)[pulumi.runtime.specialSigKey] === pulumi.runtime.specialSecretSig
  );
}

/** The inputs with every secret replaced by a marker: what would be readable without decrypting state. */
export function withoutSecrets(value: unknown): unknown {
  if (isSecret(value)) return "[secret]";
  if (Array.isArray(value)) return value.map(withoutSecrets);
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, withoutSecrets(item)]));
  }
  return value;
}

export const SUPABASE_TYPE = (name: string) => `pulumi-nodejs:dynamic/supabase:${name}`;
export const RANDOM_PASSWORD = "random:index/randomPassword:RandomPassword";
/** The value the mocks give a RandomPassword's `result`. */
export const generatedPassword = (name: string) => `generated-${name}`;
