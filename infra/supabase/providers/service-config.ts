// One surface of a project's service configuration (auth, PostgREST or realtime). Only the keys we own are ever
// sent, and only when they changed. Secret keys (SMTP password, provider secrets…) read back hashed, so they are
// compared by the digest of what we sent, never against the API (terraform-provider-supabase#202, #310).
// Removing a key from the program stops managing it; the live value stays. Deleting the resource forgets it.
import type * as pulumi from "@pulumi/pulumi";
import type { ConfigSettings, ConfigValue } from "../api/types.ts";
import type { ConfigSurface } from "../client.ts";
import { type Connection, connectionChanged, connectionOf, targetChanged, type ProviderContext, sha256Hex, type SupabaseProvider } from "./context.ts";

export interface ServiceConfigInputs extends Connection {
  projectRef: string;
  settings: ConfigSettings;
  /** Values that are write-only on the API side; a Pulumi secret in the program. */
  secretSettings?: Record<string, string>;
}

export interface ServiceConfigOutputs extends Connection {
  projectRef: string;
  settings: ConfigSettings;
  secretDigests: Record<string, string>;
}

export function createServiceConfigProvider(
  surface: ConfigSurface,
  context: ProviderContext,
): SupabaseProvider<ServiceConfigInputs, ServiceConfigOutputs> {
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
      return { inputs: news, failures };
    },

    async diff(_id, olds, news) {
      const target = targetChanged(olds.projectRef, news.projectRef);
      if (target) return target;
      const changes = Object.keys(changedKeys(olds, news)).length > 0 || connectionChanged(olds, news);
      return { changes, replaces: [], deleteBeforeReplace: false };
    },

    async create(inputs) {
      const patch = { ...inputs.settings, ...(inputs.secretSettings ?? {}) };
      if (Object.keys(patch).length > 0) await context.clientFor(inputs).updateServiceConfig(surface, inputs.projectRef, patch);
      return { id: `${inputs.projectRef}/${surface}`, outs: outputsOf(inputs) };
    },

    async update(_id, olds, news) {
      const patch = changedKeys(olds, news);
      if (Object.keys(patch).length > 0) await context.clientFor(news).updateServiceConfig(surface, news.projectRef, patch);
      return { outs: outputsOf(news) };
    },

    async read(id, props) {
      if (!props) throw new Error(`Cannot read ${surface} config ${id} without its recorded state`);
      const live = await context.clientFor(props).getServiceConfig(surface, props.projectRef);
      const settings: ConfigSettings = {};
      for (const key of Object.keys(props.settings)) {
        const value = live[key];
        if (isConfigValue(value)) settings[key] = value;
      }
      return { id, props: { ...props, settings } };
    },

    async delete() {
      // Service configuration cannot be deleted; forgetting it leaves the live settings in place.
    },
  };
}

/** The keys whose desired value differs from what was last applied, with their new values. */
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

function outputsOf(inputs: ServiceConfigInputs): ServiceConfigOutputs {
  return {
    ...connectionOf(inputs),
    projectRef: inputs.projectRef,
    settings: { ...inputs.settings },
    secretDigests: Object.fromEntries(Object.entries(inputs.secretSettings ?? {}).map(([key, value]) => [key, sha256Hex(value)])),
  };
}

function isConfigValue(value: unknown): value is ConfigValue {
  return typeof value === "string" || typeof value === "number" || typeof value === "boolean";
}
