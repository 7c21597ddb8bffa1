// Edge function secrets. The API only ever returns SHA-256 digests of values, so drift and changes are found by
// comparing digests; values stay Pulumi secrets and never appear in outputs. Only names this resource set are
// ever deleted, and the reserved SUPABASE_ prefix is refused up front.
import type * as pulumi from "@pulumi/pulumi";
import {
  type Connection,
  connectionChanged,
  connectionOf,
  isUnknown,
  type ProviderContext,
  sha256Hex,
  type SupabaseProvider,
  targetChanged,
} from "./context.ts";
import { targetKnown, withoutPlan } from "./preview.ts";

export interface SecretsInputs extends Connection {
  projectRef: string;
  values: Record<string, string>;
  /** Set by check from the live digests: the names an update would set (never values). */
  plan?: { set: string[] };
}

export interface SecretsOutputs extends Connection {
  projectRef: string;
  names: string[];
  /** Name → SHA-256 of the value (marked secret too: a weak value could be guessed from its digest). */
  digests: Record<string, string>;
}

const NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;
const MAX_NAME_LENGTH = 256;
const MAX_VALUE_LENGTH = 24_576;
const MAX_SECRETS = 100;

export function createSecretsProvider(context: ProviderContext): SupabaseProvider<SecretsInputs, SecretsOutputs> {
  return {
    async check(_olds, news) {
      const failures: pulumi.dynamic.CheckFailure[] = [];
      // Not known yet (a preview): checked when it is, in the update.
      if (isUnknown(news.values)) return { inputs: news, failures };
      const entries = Object.entries(news.values ?? {});
      if (entries.length > MAX_SECRETS) failures.push({ property: "values", reason: `at most ${MAX_SECRETS} secrets per project` });
      for (const [name, value] of entries) {
        if (name.toUpperCase().startsWith("SUPABASE_")) {
          failures.push({ property: `values.${name}`, reason: "the SUPABASE_ prefix is reserved for the platform's own variables" });
        } else if (!NAME_PATTERN.test(name) || name.length > MAX_NAME_LENGTH) {
          failures.push({ property: `values.${name}`, reason: "names are environment variable names (letters, digits, _), at most 256 characters" });
        }
        if (typeof value !== "string") failures.push({ property: `values.${name}`, reason: "must be a string" });
        else if (value.length > MAX_VALUE_LENGTH) failures.push({ property: `values.${name}`, reason: `longer than ${MAX_VALUE_LENGTH} characters` });
      }
      const inputs = withoutPlan(news);
      if (failures.length > 0 || !targetKnown(news)) return { inputs, failures };
      const live = new Map((await context.clientFor(news).listSecrets(news.projectRef)).map((secret) => [secret.name, secret.value]));
      const set = entries.filter(([name, value]) => live.get(name) !== sha256Hex(value)).map(([name]) => name).sort();
      return { inputs: { ...inputs, plan: { set } }, failures };
    },

    async diff(_id, olds, news) {
      const target = targetChanged(olds.projectRef, news.projectRef);
      if (target) return { ...target, deleteBeforeReplace: target.replaces?.length ? true : false };
      if (isUnknown(news.values)) return { changes: true, replaces: [], deleteBeforeReplace: false };
      const desired = digestsOf(news.values);
      // A live value that differs (changed in the dashboard) shows up in check's plan.
      const drifted = (news.plan?.set.length ?? 0) > 0;
      const changes = !sameRecord(olds.digests ?? {}, desired) || drifted || connectionChanged(olds, news);
      return { changes, replaces: [], deleteBeforeReplace: false };
    },

    async create(inputs) {
      await reconcile(context, inputs, []);
      return { id: `${inputs.projectRef}/secrets`, outs: outputsOf(inputs) };
    },

    async update(_id, olds, news) {
      await reconcile(context, news, olds.names ?? []);
      return { outs: outputsOf(news) };
    },

    async read(id, props) {
      if (!props) throw new Error(`Cannot read secrets ${id} without their recorded state`);
      const live = await context.clientFor(props).listSecrets(props.projectRef);
      const digests = Object.fromEntries(live.filter((s) => props.names.includes(s.name)).map((s) => [s.name, s.value]));
      return { id, props: { ...props, names: Object.keys(digests).sort(), digests } };
    },

    async delete(_id, props) {
      const client = context.clientFor(props);
      const live = new Set((await client.listSecrets(props.projectRef)).map((secret) => secret.name));
      await client.deleteSecrets(props.projectRef, (props.names ?? []).filter((name) => live.has(name)));
    },
  };
}

/** Sends only the values whose digest differs from the live one, then removes names we no longer want. */
async function reconcile(context: ProviderContext, inputs: SecretsInputs, previouslyManaged: readonly string[]): Promise<void> {
  const client = context.clientFor(inputs);
  const live = new Map((await client.listSecrets(inputs.projectRef)).map((secret) => [secret.name, secret.value]));
  const changed = Object.entries(inputs.values)
    .filter(([name, value]) => live.get(name) !== sha256Hex(value))
    .map(([name, value]) => ({ name, value }));
  await client.upsertSecrets(inputs.projectRef, changed);
  const dropped = previouslyManaged.filter((name) => !(name in inputs.values) && live.has(name));
  await client.deleteSecrets(inputs.projectRef, dropped);
}

function outputsOf(inputs: SecretsInputs): SecretsOutputs {
  return {
    ...connectionOf(inputs),
    projectRef: inputs.projectRef,
    names: Object.keys(inputs.values).sort(),
    digests: digestsOf(inputs.values),
  };
}

function digestsOf(values: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(values ?? {}).map(([name, value]) => [name, sha256Hex(value)]));
}

function sameRecord(a: Record<string, string>, b: Record<string, string>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((key) => a[key] === b[key]);
}
