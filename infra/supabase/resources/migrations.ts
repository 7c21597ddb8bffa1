import * as pulumi from "@pulumi/pulumi";
import type { MigrationEntry } from "../providers/migrations.ts";
import { type ConnectionArgs, connectionInputs, MODULE, withSecretOutputs } from "./common.ts";
import { providerShim } from "./provider-shim.ts";

export interface MigrationsArgs extends ConnectionArgs {
  projectRef: pulumi.Input<string>;
  /** Relative to the Pulumi project root. */
  migrationsDir: string;
  migrations: MigrationEntry[];
}

/** supabase/migrations applied in order, once each, recorded as the Supabase CLI records them. */
export class Migrations extends pulumi.dynamic.Resource {
  declare readonly applied: pulumi.Output<MigrationEntry[]>;
  /** History rows left alone: not ours (older), a newer release's, or recorded without statements. */
  declare readonly history: pulumi.Output<{ foreign: string[]; newer: string[]; unverified: string[] }>;

  constructor(name: string, args: MigrationsArgs, opts?: pulumi.CustomResourceOptions) {
    super(providerShim("migrations"), name, { ...args, ...connectionInputs(args), applied: undefined, history: undefined }, withSecretOutputs(opts), MODULE, "Migrations");
  }
}
