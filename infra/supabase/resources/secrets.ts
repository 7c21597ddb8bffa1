import * as pulumi from "@pulumi/pulumi";
import { type ConnectionArgs, connectionInputs, MODULE, withSecretOutputs } from "./common.ts";
import { providerShim } from "./provider-shim.ts";

export interface SecretsArgs extends ConnectionArgs {
  projectRef: pulumi.Input<string>;
  /** Name → value; made a Pulumi secret here whatever the caller passes. */
  values: pulumi.Input<Record<string, string>>;
}

/** Edge function secrets, compared by SHA-256 digest. */
export class Secrets extends pulumi.dynamic.Resource {
  declare readonly names: pulumi.Output<string[]>;

  constructor(name: string, args: SecretsArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      providerShim("secrets"),
      name,
      { ...args, ...connectionInputs(args), values: pulumi.secret(args.values), names: undefined, digests: undefined },
      withSecretOutputs(opts, ["values", "digests"]),
      MODULE,
      "Secrets",
    );
  }
}
