// One surface of a project's service configuration (auth, PostgREST or realtime), read, merged and written for the
// keys we own only. Every create and update reads the live settings first and PATCHes just the owned keys whose
// live value differs. List-valued keys are merged, never replaced: the entries already there stay (a project's
// redirect URLs, every schema the Data API already exposes), ours are added, and only entries this resource added
// itself are ever removed again. Secret keys (SMTP password, provider secrets…) read back hashed, so they are
// compared by the digest of what we sent (terraform-provider-supabase#202, #310). Check reads the live settings too
// and puts what it would change into the inputs (`plan`), so `pulumi preview --diff` lists every change.
// Removing a key from the program stops managing it; the live value stays. Deleting the resource forgets it.
import type * as pulumi from "@pulumi/pulumi";
import type { ConfigSettings, ConfigValue } from "../api/types.ts";
import type { ConfigSurface } from "../client.ts";
import { type Connection, connectionChanged, connectionOf, targetChanged, type ProviderContext, sha256Hex, type SupabaseProvider } from "./context.ts";
import { targetKnown, withoutPlan } from "./preview.ts";

export interface ServiceConfigInputs extends Connection {
  projectRef: string;
  settings: ConfigSettings;
  /** Values that are write-only on the API side; a Pulumi secret in the program. */
  secretSettings?: Record<string, string>;
  /** Set by check from the live settings: each owned key it would change, and how ("old → new", "+entry"). */
  plan?: Record<string, string>;
}

export interface ServiceConfigOutputs extends Connection {
  projectRef: string;
  settings: ConfigSettings;
  secretDigests: Record<string, string>;
  /** Per list-valued key, the entries this resource added (were not there before): the only ones it may remove. */
  added: Record<string, string[]>;
}

/** Comma-separated lists whose existing entries belong to someone else as much as to us. */
export const LIST_KEYS: Readonly<Record<ConfigSurface, readonly string[]>> = {
  auth: ["uri_allow_list"],
  postgrest: ["db_schema", "db_extra_search_path"],
  realtime: [],
};

interface Merge {
  patch: ConfigSettings;
  added: Record<string, string[]>;
  plan: Record<string, string>;
}

export function createServiceConfigProvider(
  surface: ConfigSurface,
  context: ProviderContext,
): SupabaseProvider<ServiceConfigInputs, ServiceConfigOutputs> {
  const merge = async (inputs: ServiceConfigInputs, previous: Partial<ServiceConfigOutputs>): Promise<Merge> => {
    const live = await context.clientFor(inputs).getServiceConfig(surface, inputs.projectRef);
    return mergeSettings(surface, live, inputs, previous);
  };
  const apply = async (inputs: ServiceConfigInputs, previous: Partial<ServiceConfigOutputs>): Promise<ServiceConfigOutputs> => {
    const { patch, added } = await merge(inputs, previous);
    if (Object.keys(patch).length > 0) await context.clientFor(inputs).updateServiceConfig(surface, inputs.projectRef, patch);
    return outputsOf(inputs, added);
  };

  return {
    async check(_olds, news) {
      const failures: pulumi.dynamic.CheckFailure[] = [];
      if (!news.projectRef) failures.push({ property: "projectRef", reason: "projectRef is required" });
      for (const [key, value] of Object.entries(news.settings ?? {})) {
        if (!isConfigValue(value)) failures.push({ property: `settings.${key}`, reason: "must be a string, number or boolean" });
      }
      for (const key of Object.keys(news.secretSettings ?? {})) {
        if (key in (news.settings ?? {})) failures.push({ property: `secretSettings.${key}`, reason: "is also in settings" });
      }
      const inputs = withoutPlan(news);
      if (failures.length > 0 || !targetKnown(news, news.settings, news.secretSettings)) return { inputs, failures };
      // Secrets are compared with what the last update sent, which check cannot see: a preview lists them as set.
      const { plan } = await merge(inputs, {});
      return { inputs: { ...inputs, plan }, failures };
    },

    async diff(_id, olds, news) {
      const target = targetChanged(olds.projectRef, news.projectRef);
      if (target) return target;
      const planned = news.plan === undefined ? false : Object.keys(news.plan).some((key) => !(key in (news.secretSettings ?? {})));
      const changes = planned || Object.keys(changedKeys(olds, news)).length > 0 || connectionChanged(olds, news);
      return { changes, replaces: [], deleteBeforeReplace: false };
    },

    async create(inputs) {
      return { id: `${inputs.projectRef}/${surface}`, outs: await apply(inputs, {}) };
    },

    async update(_id, olds, news) {
      return { outs: await apply(news, olds) };
    },

    async read(id, props) {
      if (!props) throw new Error(`Cannot read ${surface} config ${id} without its recorded state`);
      const live = await context.clientFor(props).getServiceConfig(surface, props.projectRef);
      const settings: ConfigSettings = {};
      for (const [key, recorded] of Object.entries(props.settings)) {
        const value = live[key];
        if (!isConfigValue(value)) continue;
        // A merged list holds others' entries too: it is as we left it while it still holds all of ours.
        const listed = LIST_KEYS[surface].includes(key);
        settings[key] = listed && entriesOf(recorded).every((entry) => entriesOf(value).includes(entry)) ? recorded : value;
      }
      return { id, props: { ...props, settings } };
    },

    async delete() {
      // Service configuration cannot be deleted; forgetting it leaves the live settings in place.
    },
  };
}

/**
 * What to PATCH so the owned keys hold what we want, given the live settings: scalars that differ, merged lists that
 * differ, secrets whose digest differs from what was last sent.
 */
export function mergeSettings(
  surface: ConfigSurface,
  live: ConfigSettings,
  inputs: ServiceConfigInputs,
  previous: Partial<ServiceConfigOutputs>,
): Merge {
  const merge: Merge = { patch: {}, added: {}, plan: {} };
  for (const [key, value] of Object.entries(inputs.settings ?? {})) {
    if (LIST_KEYS[surface].includes(key)) {
      mergeList(merge, key, entriesOf(live[key]), entriesOf(value), previous.added?.[key] ?? []);
    } else if (live[key] === undefined || String(live[key]) !== String(value)) {
      merge.patch[key] = value;
      merge.plan[key] = `${describe(live[key])} → ${describe(value)}`;
    }
  }
  for (const [key, value] of Object.entries(inputs.secretSettings ?? {})) {
    if (previous.secretDigests?.[key] !== sha256Hex(value)) {
      merge.patch[key] = value;
      merge.plan[key] = "(secret) set";
    }
  }
  return merge;
}

function mergeList(merge: Merge, key: string, live: string[], wanted: string[], addedBefore: readonly string[]): void {
  const dropped = addedBefore.filter((entry) => !wanted.includes(entry));
  const kept = live.filter((entry) => !dropped.includes(entry));
  const missing = wanted.filter((entry) => !kept.includes(entry));
  const merged = [...kept, ...missing];
  // Ours: what we added before and still want (if it is still there), and what we add now.
  merge.added[key] = [...addedBefore.filter((entry) => wanted.includes(entry) && live.includes(entry)), ...missing];
  if (merged.join(",") !== live.join(",")) {
    merge.patch[key] = merged.join(",");
    merge.plan[key] = [...missing.map((entry) => `+${entry}`), ...live.filter((entry) => dropped.includes(entry)).map((entry) => `-${entry}`)].join(", ");
  }
}

function entriesOf(value: ConfigValue | undefined): string[] {
  if (typeof value !== "string") return [];
  return value
    .split(",")
    .map((entry) => entry.trim())
    .filter(Boolean);
}

function describe(value: ConfigValue | undefined): string {
  return value === undefined ? "(unset)" : JSON.stringify(value);
}

/** The owned keys whose desired value differs from what was last applied. */
function changedKeys(olds: ServiceConfigOutputs, news: ServiceConfigInputs): ConfigSettings {
  const patch: ConfigSettings = {};
  for (const [key, value] of Object.entries(news.settings ?? {})) {
    if (olds.settings?.[key] !== value) patch[key] = value;
  }
  for (const [key, value] of Object.entries(news.secretSettings ?? {})) {
    if (olds.secretDigests?.[key] !== sha256Hex(value)) patch[key] = value;
  }
  return patch;
}

function outputsOf(inputs: ServiceConfigInputs, added: Record<string, string[]>): ServiceConfigOutputs {
  return {
    ...connectionOf(inputs),
    projectRef: inputs.projectRef,
    settings: { ...inputs.settings },
    secretDigests: Object.fromEntries(Object.entries(inputs.secretSettings ?? {}).map(([key, value]) => [key, sha256Hex(value)])),
    added,
  };
}

function isConfigValue(value: unknown): value is ConfigValue {
  return typeof value === "string" || typeof value === "number" || typeof value === "boolean";
}
