import * as pulumi from "@pulumi/pulumi";
import type { ServiceName } from "../api/types.ts";
import { type ConnectionArgs, connectionInputs, MODULE, withSecretOutputs } from "./common.ts";
import { providerShim } from "./provider-shim.ts";

export interface AdoptedProjectArgs extends ConnectionArgs {
  ref: pulumi.Input<string>;
  organizationSlug: pulumi.Input<string>;
  region: pulumi.Input<string>;
  services: pulumi.Input<ServiceName[]>;
  readyTimeoutMinutes: pulumi.Input<number>;
}

/** An existing project taken over by ref: checked (organization, region) and waited on; never created or deleted. */
export class AdoptedProject extends pulumi.dynamic.Resource {
  declare readonly ref: pulumi.Output<string>;
  declare readonly url: pulumi.Output<string>;
  declare readonly status: pulumi.Output<string>;

  constructor(name: string, args: AdoptedProjectArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      providerShim("adoptedProject"),
      name,
      { ...args, ...connectionInputs(args), name: undefined, status: undefined, url: undefined, dbHost: undefined, adopted: undefined },
      withSecretOutputs(opts),
      MODULE,
      "AdoptedProject",
    );
  }
}
