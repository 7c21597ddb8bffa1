import * as pulumi from "@pulumi/pulumi";
import { type ConnectionArgs, connectionInputs, MODULE, withSecretOutputs } from "./common.ts";
import { providerShim } from "./provider-shim.ts";

export interface AdminBootstrapArgs extends ConnectionArgs {
  projectRef: pulumi.Input<string>;
  /** The first admin's user name (adminBootstrapUsername). */
  username: pulumi.Input<string>;
  /** adminBootstrapPassword; made a Pulumi secret here whatever the caller passes. Hashed in the provider, never an output. */
  password: pulumi.Input<string>;
}

/**
 * The first admin (super_admin) of the project or branch, created once with love.ensure_admin after the migrations;
 * an existing admin is never changed, and deleting the resource keeps the admins.
 */
export class AdminBootstrap extends pulumi.dynamic.Resource {
  declare readonly username: pulumi.Output<string>;
  /** Whether this resource created the admin (false: an admin of that name existed already). */
  declare readonly created: pulumi.Output<boolean>;

  constructor(name: string, args: AdminBootstrapArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      providerShim("adminBootstrap"),
      name,
      { ...args, ...connectionInputs(args), password: pulumi.secret(args.password), created: undefined },
      // The provider's outputs have no password; listed anyway so that it could never land in state in clear.
      withSecretOutputs(opts, ["password"]),
      MODULE,
      "AdminBootstrap",
    );
  }
}
