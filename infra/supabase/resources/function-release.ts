import * as pulumi from "@pulumi/pulumi";
import type { FunctionLayout } from "../function-sources.ts";
import type { DeployedFunction, FunctionEntry } from "../providers/function-release.ts";
import { type ConnectionArgs, connectionInputs, MODULE, withSecretOutputs } from "./common.ts";
import { providerShim } from "./provider-shim.ts";

export interface FunctionReleaseArgs extends ConnectionArgs, FunctionLayout {
  projectRef: pulumi.Input<string>;
  functions: FunctionEntry[];
  /** Also delete live functions this resource never deployed (pruneUnmanagedFunctions; default false). */
  pruneUnmanagedFunctions?: boolean;
}

/** Every function of functions/ uploaded as source and activated together; removed ones of ours deleted, others kept. */
export class FunctionRelease extends pulumi.dynamic.Resource {
  declare readonly deployed: pulumi.Output<Record<string, DeployedFunction>>;
  /** Live functions this release did not deploy and left running. */
  declare readonly unmanaged: pulumi.Output<string[]>;

  constructor(name: string, args: FunctionReleaseArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      providerShim("functionRelease"),
      name,
      { ...args, ...connectionInputs(args), deployed: undefined, unmanaged: undefined },
      withSecretOutputs(opts),
      MODULE,
      "FunctionRelease",
    );
  }
}
