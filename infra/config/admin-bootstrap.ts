import type * as pulumi from "@pulumi/pulumi";
import { isValidUsername, passwordProblem, USERNAME_PATTERN } from "../../functions/_shared/admin-accounts.ts";
import type { ConfigReader, KeyReader } from "./reader.ts";

/** The first admin, created once by the AdminBootstrap resource after the migrations, never changed afterwards. */
export interface AdminBootstrapSettings {
  /** adminBootstrapUsername, matching the admins' USERNAME_PATTERN. */
  username: string;
  /** adminBootstrapPassword, a Pulumi secret that passed the admins' password policy. */
  password: pulumi.Output<string>;
}

/**
 * The first admin: adminBootstrapUsername and adminBootstrapPassword (secret), both or neither. The user name must
 * match the admins' USERNAME_PATTERN and the password pass their policy (passwordProblem), checked here so that the
 * problem is reported with the others; the AdminBootstrap provider checks both again before any call.
 */
export function readAdminBootstrap(
  stack: string,
  config: ConfigReader,
  problems: string[],
  { text, setHint }: KeyReader,
): AdminBootstrapSettings | undefined {
  const username = text("adminBootstrapUsername");
  const password = config.getSecret("adminBootstrapPassword");
  if (username === undefined && !password) return undefined;
  const remove = (key: string) => `pulumi config rm ${key} --stack ${stack}`;
  if (username === undefined) {
    problems.push(
      `adminBootstrapUsername is required with adminBootstrapPassword: ${setHint("adminBootstrapUsername", "<first admin's user name>")} ` +
        `(or remove adminBootstrapPassword: ${remove("adminBootstrapPassword")})`,
    );
    return undefined;
  }
  if (!password) {
    problems.push(
      `adminBootstrapPassword is required with adminBootstrapUsername: ${setHint("adminBootstrapPassword", "<first admin's password>", true)} ` +
        `(or remove adminBootstrapUsername: ${remove("adminBootstrapUsername")})`,
    );
    return undefined;
  }
  if (!isValidUsername(username)) {
    problems.push(`adminBootstrapUsername must match ${USERNAME_PATTERN}, got "${username}": ${setHint("adminBootstrapUsername", "<first admin's user name>")}`);
    return undefined;
  }
  // The message never contains the password, only what is wrong with it.
  const problem = passwordProblem(username, config.secretText("adminBootstrapPassword") ?? "");
  if (problem) {
    problems.push(`adminBootstrapPassword: ${problem}: ${setHint("adminBootstrapPassword", "<another password>", true)}`);
    return undefined;
  }
  return { username, password };
}
