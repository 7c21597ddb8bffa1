import * as pulumi from "@pulumi/pulumi";
import type { ConfigSettings } from "../api/types.ts";
import type { ProviderKind } from "../providers/index.ts";
import { type ConnectionArgs, connectionInputs, MODULE, withSecretOutputs } from "./common.ts";
import { providerShim } from "./provider-shim.ts";

export interface ServiceConfigArgs extends ConnectionArgs {
  projectRef: pulumi.Input<string>;
  /** Only these keys are managed; every other setting is left as it is. List-valued keys are merged into the live list. */
  settings: pulumi.Input<ConfigSettings>;
  /** Write-only settings (read back hashed); compared by digest. */
  secretSettings?: pulumi.Input<Record<string, string>>;
}

function serviceConfigInputs(args: ServiceConfigArgs): pulumi.Inputs {
  return {
    ...args,
    ...connectionInputs(args),
    secretSettings: args.secretSettings === undefined ? undefined : pulumi.secret(args.secretSettings),
    secretDigests: undefined,
    added: undefined,
  };
}

function create(kind: ProviderKind, type: string) {
  return class extends pulumi.dynamic.Resource {
    declare readonly settings: pulumi.Output<ConfigSettings>;

    constructor(name: string, args: ServiceConfigArgs, opts?: pulumi.CustomResourceOptions) {
      super(providerShim(kind), name, serviceConfigInputs(args), withSecretOutputs(opts, ["secretSettings", "secretDigests"]), MODULE, type);
    }
  };
}

/** `PATCH /config/auth` for the keys we own. */
export const AuthConfig = create("authConfig", "AuthConfig");
/** `PATCH /postgrest` (the Data API: exposed schemas, row limit). */
export const PostgrestConfig = create("postgrestConfig", "PostgrestConfig");
/** `PATCH /config/realtime`. Which tables broadcast is SQL (publication supabase_realtime), in migrations. */
export const RealtimeConfig = create("realtimeConfig", "RealtimeConfig");
