import * as pulumi from "@pulumi/pulumi";
import type { ServiceName } from "../api/types.ts";
import { type ConnectionArgs, connectionInputs, MODULE, withSecretOutputs } from "./common.ts";
import { providerShim } from "./provider-shim.ts";

export interface BranchArgs extends ConnectionArgs {
  parentRef: pulumi.Input<string>;
  branchName: pulumi.Input<string>;
  gitBranch?: pulumi.Input<string>;
  services: pulumi.Input<ServiceName[]>;
  readyTimeoutMinutes: pulumi.Input<number>;
}

/** A preview branch of another project, with its own ref, ready once created and deleted on destroy. */
export class Branch extends pulumi.dynamic.Resource {
  declare readonly ref: pulumi.Output<string>;
  declare readonly url: pulumi.Output<string>;

  constructor(name: string, args: BranchArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      providerShim("branch"),
      name,
      { ...args, ...connectionInputs(args), ref: undefined, url: undefined, branchId: undefined, adopted: undefined },
      withSecretOutputs(opts),
      MODULE,
      "Branch",
    );
  }
}
