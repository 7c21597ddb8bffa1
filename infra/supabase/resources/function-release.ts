import * as pulumi from "@pulumi/pulumi";
import type { FunctionLayout } from "../function-sources.ts";
import type { DeployedFunction, FunctionEntry } from "../providers/function-release.ts";
import { type ConnectionArgs, connectionInputs, MODULE, withSecretOutputs } from "./common.ts";
import { providerShim } from "./provider-shim.ts";

export interface FunctionReleaseArgs extends ConnectionArgs, FunctionLayout {
  projectRef: pulumi.Input<string>;
  functions: FunctionEntry[];
}

/** Every function of functions/ uploaded as source, activated together, removed ones pruned. */
export class FunctionRelease extends pulumi.dynamic.Resource {
  declare readonly deployed: pulumi.Output<Record<string, DeployedFunction>>;

  constructor(name: string, args: FunctionReleaseArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      providerShim("functionRelease"),
      name,
      { ...args, ...connectionInputs(args), deployed: undefined },
      withSecretOutputs(opts),
      MODULE,
      "FunctionRelease",
    );
  }
}
