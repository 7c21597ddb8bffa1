// What every Supabase resource shares: the connection inputs, and options that keep secrets encrypted in state.
import * as pulumi from "@pulumi/pulumi";

export interface ConnectionArgs {
  apiUrl: pulumi.Input<string>;
  /** Made a Pulumi secret here whatever the caller passes. */
  accessToken: pulumi.Input<string>;
}

/** The module part of every type token: `pulumi-nodejs:dynamic/supabase:<Type>`. */
export const MODULE = "supabase";

export function connectionInputs(args: ConnectionArgs): { apiUrl: pulumi.Input<string>; accessToken: pulumi.Output<string> } {
  return { apiUrl: args.apiUrl, accessToken: pulumi.secret(args.accessToken) };
}

/** Adds `accessToken` and the given outputs to additionalSecretOutputs. */
export function withSecretOutputs(
  opts: pulumi.CustomResourceOptions | undefined,
  secretOutputs: readonly string[] = [],
): pulumi.CustomResourceOptions {
  return {
    ...opts,
    additionalSecretOutputs: [...new Set([...(opts?.additionalSecretOutputs ?? []), "accessToken", ...secretOutputs])],
  };
}
