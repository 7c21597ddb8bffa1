import * as pulumi from "@pulumi/pulumi";
import type { InstanceSize, ServiceName } from "../api/types.ts";
import { type ConnectionArgs, connectionInputs, MODULE, withSecretOutputs } from "./common.ts";
import { providerShim } from "./provider-shim.ts";

export interface ProjectArgs extends ConnectionArgs {
  organizationSlug: pulumi.Input<string>;
  name: pulumi.Input<string>;
  region: pulumi.Input<string>;
  instanceSize?: pulumi.Input<InstanceSize>;
  dbPassword: pulumi.Input<string>;
  services: pulumi.Input<ServiceName[]>;
  readyTimeoutMinutes: pulumi.Input<number>;
}

/** A Supabase project, ready (ACTIVE_HEALTHY, services healthy) once created. */
export class Project extends pulumi.dynamic.Resource {
  declare readonly ref: pulumi.Output<string>;
  declare readonly url: pulumi.Output<string>;
  declare readonly status: pulumi.Output<string>;

  constructor(name: string, args: ProjectArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      providerShim("project"),
      name,
      {
        ...args,
        ...connectionInputs(args),
        dbPassword: pulumi.secret(args.dbPassword),
        ref: undefined,
        url: undefined,
        status: undefined,
        dbHost: undefined,
        dbPasswordDigest: undefined,
        adopted: undefined,
      },
      withSecretOutputs(opts, ["dbPassword", "dbPasswordDigest"]),
      MODULE,
      "Project",
    );
  }
}
