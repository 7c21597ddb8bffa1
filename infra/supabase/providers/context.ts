// What every provider needs besides its inputs: a Management API client per connection, a clock for waiting, and
// the directory that relative source paths (supabase/migrations, functions, deno.json) are resolved against.
// Tests build their own context; Pulumi's provider process uses the default one.
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import path from "node:path";
import type * as pulumi from "@pulumi/pulumi";
import { type Clock, systemClock } from "../api/rate-limiter.ts";
import { ManagementClient } from "../client.ts";
import type { WaitOptions } from "../readiness.ts";

/** Inputs every Supabase resource carries so that update and delete can reach the API later. */
export interface Connection {
  apiUrl: string;
  /** A Pulumi secret in the program; plaintext only inside the provider process. */
  accessToken: string;
}

export interface ProviderContext {
  clientFor(connection: Connection): ManagementClient;
  clock: Clock;
  pollIntervalMs: number;
  /** The Pulumi project root: the directory of Pulumi.yaml, at or above the provider process's working directory. */
  projectRoot: string;
}

export interface ContextOverrides {
  requestsPerSecond?: number;
  clock?: Clock;
  pollIntervalMs?: number;
  projectRoot?: string;
  retryBaseDelayMs?: number;
}

/** One client per API URL and token, so every resource in a process shares one rate limiter per project. */
export function createProviderContext(overrides: ContextOverrides = {}): ProviderContext {
  const clients = new Map<string, ManagementClient>();
  const clock = overrides.clock ?? systemClock;
  return {
    clock,
    pollIntervalMs: overrides.pollIntervalMs ?? 10_000,
    projectRoot: overrides.projectRoot ?? findProjectRoot(process.cwd()),
    clientFor(connection) {
      const key = `${connection.apiUrl}\0${createHash("sha256").update(connection.accessToken).digest("hex")}`;
      let client = clients.get(key);
      if (!client) {
        client = new ManagementClient({
          baseUrl: connection.apiUrl,
          accessToken: connection.accessToken,
          requestsPerSecond: overrides.requestsPerSecond,
          retry: overrides.retryBaseDelayMs === undefined ? undefined : { baseDelayMs: overrides.retryBaseDelayMs },
          clock,
        });
        clients.set(key, client);
      }
      return client;
    },
  };
}

/** How long (the resource's readyTimeoutMinutes) and how often a provider waits for its project or branch. */
export function readyOptions(context: ProviderContext, inputs: { readyTimeoutMinutes: number }): WaitOptions {
  return { timeoutMs: inputs.readyTimeoutMinutes * 60_000, pollIntervalMs: context.pollIntervalMs, clock: context.clock };
}

/**
 * The engine starts the provider process in the program's directory (`infra/`, from Pulumi.yaml's `main`), not in the
 * project root; relative source paths (supabase/migrations, functions) belong to the root, where Pulumi.yaml is.
 */
export function findProjectRoot(start: string): string {
  for (let dir = path.resolve(start); ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, "Pulumi.yaml"))) return dir;
    if (path.dirname(dir) === dir) return path.resolve(start);
  }
}

/**
 * What a provider sees for a value the engine does not know yet: in a preview, every output of a resource that is
 * being updated (e.g. the project's ref when its token or password changes), and so every input derived from it.
 */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** Whether a value is, or contains, the engine's placeholder for "not known yet". */
export function isUnknown(value: unknown): boolean {
  if (value === UNKNOWN) return true;
  if (Array.isArray(value)) return value.some(isUnknown);
  if (value && typeof value === "object") return Object.values(value).some(isUnknown);
  return false;
}

/**
 * A diff's answer when the target project changed. An unknown new ref (a preview while the project is updated) is
 * not a different project: it is "changed, no replace" until the update knows it. Asking for a replace there made
 * every preview of a protected stack fail as soon as the project had any change.
 */
export function targetChanged(oldRef: string | undefined, newRef: string): pulumi.dynamic.DiffResult | undefined {
  if (isUnknown(newRef)) return { changes: true, replaces: [], deleteBeforeReplace: false };
  if (oldRef !== newRef) return { changes: true, replaces: ["projectRef"], deleteBeforeReplace: false };
  return undefined;
}

export function connectionChanged(olds: Partial<Connection>, news: Connection): boolean {
  return olds.apiUrl !== news.apiUrl || olds.accessToken !== news.accessToken;
}

export function connectionOf(inputs: Connection): Connection {
  return { apiUrl: inputs.apiUrl, accessToken: inputs.accessToken };
}

export function sha256Hex(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/** A dynamic provider that implements every step, and whose create and update always return outputs. */
export interface SupabaseProvider<Inputs, Outputs> extends pulumi.dynamic.ResourceProvider<Inputs, Outputs> {
  check(olds: Inputs, news: Inputs): Promise<pulumi.dynamic.CheckResult<Inputs>>;
  diff(id: string, olds: Outputs, news: Inputs): Promise<pulumi.dynamic.DiffResult>;
  create(inputs: Inputs): Promise<{ id: string; outs: Outputs }>;
  update(id: string, olds: Outputs, news: Inputs): Promise<{ outs: Outputs }>;
  delete(id: string, props: Outputs): Promise<void>;
}
