import * as pulumi from "@pulumi/pulumi";
import type { LockdownChange, LockdownPlan } from "../legacy-lockdown.ts";
import { type ConnectionArgs, connectionInputs, MODULE, withSecretOutputs } from "./common.ts";
import { providerShim } from "./provider-shim.ts";

export interface LegacyLockdownArgs extends ConnectionArgs {
  projectRef: pulumi.Input<string>;
  /** Lock every legacy table of public, not only those holding secrets. */
  lockAll: pulumi.Input<boolean>;
}

/** The 2025 backend's tables in public closed to the API roles (those holding secrets always, all with lockAll). */
export class LegacyLockdown extends pulumi.dynamic.Resource {
  declare readonly changes: pulumi.Output<LockdownChange[]>;
  declare readonly reported: pulumi.Output<LockdownPlan["reported"]>;

  constructor(name: string, args: LegacyLockdownArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      providerShim("legacyLockdown"),
      name,
      { ...args, ...connectionInputs(args), changes: undefined, reported: undefined },
      withSecretOutputs(opts),
      MODULE,
      "LegacyLockdown",
    );
  }
}
