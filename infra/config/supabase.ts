import * as pulumi from "@pulumi/pulumi";
import type { ConfigSettings } from "../supabase/api/types.ts";
import type { AdoptedProjectTarget, BranchTarget, ProjectTarget } from "../supabase/environment.ts";
import { type AdminBootstrapSettings, readAdminBootstrap } from "./admin-bootstrap.ts";
import { readFunctionSecrets } from "./function-secrets.ts";
import { type ConfigReader, type KeyReader, urlProblem } from "./reader.ts";
import type { StackKind } from "./stack-kind.ts";
import { readSupabaseTarget } from "./supabase-target.ts";

/** Where a project's APIs (and so its edge functions) answer. */
export const DEFAULT_PROJECT_URL = "https://{ref}.supabase.co";

export interface SupabaseSettings {
  apiUrl: string;
  /** Base URL of a project's APIs, `{ref}` standing for its ref (supabaseProjectUrl). */
  projectUrl: string;
  accessToken: pulumi.Output<string>;
  target: ProjectTarget | AdoptedProjectTarget | BranchTarget;
  readyTimeoutMinutes: number;
  auth: ConfigSettings;
  postgrest: ConfigSettings;
  realtime: ConfigSettings;
  /** Environment of every edge function; values are secrets. */
  functionSecrets: pulumi.Output<Record<string, string>>;
  /** The first admin (adminBootstrapUsername + adminBootstrapPassword); absent when neither key is set. */
  adminBootstrap?: AdminBootstrapSettings;
  /** Also delete live functions the release never deployed (pruneUnmanagedFunctions, default false). */
  pruneUnmanagedFunctions: boolean;
  /** Lock every legacy table of public, not only those holding secrets (lockDownLegacyTables, default true on prod). */
  lockDownLegacyTables: boolean;
  protect: boolean;
}

/**
 * The Supabase keys. Problems join the stack's other problems; the settings returned are only used when there are
 * none (a missing access token is then impossible).
 */
export function readSupabase(
  stack: string,
  kind: StackKind,
  config: ConfigReader,
  problems: string[],
  warnings: string[],
  keys: KeyReader,
): SupabaseSettings {
  const { text, required, number, flag, list, setHint } = keys;

  const apiUrl = text("supabaseApiUrl", "https://api.supabase.com") as string;
  const apiUrlProblem = urlProblem(apiUrl);
  if (apiUrlProblem) problems.push(`supabaseApiUrl ${apiUrlProblem}`);

  const projectUrl = text("supabaseProjectUrl", DEFAULT_PROJECT_URL) as string;
  const projectUrlProblem = projectUrl.includes("{ref}") ? urlProblem(projectUrl.replaceAll("{ref}", "abcdefghijklmnopqrst")) : "must contain {ref}";
  if (projectUrlProblem) problems.push(`supabaseProjectUrl ${projectUrlProblem} (default ${DEFAULT_PROJECT_URL})`);

  const tokenFromEnv = config.env("SUPABASE_ACCESS_TOKEN");
  const accessToken = config.getSecret("supabaseAccessToken") ?? (tokenFromEnv ? pulumi.secret(tokenFromEnv) : undefined);
  if (!accessToken) {
    problems.push(
      `supabaseAccessToken is required: ${setHint("supabaseAccessToken", "<sbp_… personal access token>", true)} ` +
        "(or export SUPABASE_ACCESS_TOKEN)",
    );
  }

  const target = readSupabaseTarget(stack, kind, config, problems, warnings, keys);

  const siteUrl = required("authSiteUrl", "https://mmc-mms.com", urlProblem);
  const redirectUrls = list("authAdditionalRedirectUrls");
  for (const redirect of redirectUrls) {
    const problem = urlProblem(redirect);
    if (problem) problems.push(`authAdditionalRedirectUrls: ${redirect} ${problem}`);
  }
  const auth: ConfigSettings = {
    site_url: siteUrl,
    uri_allow_list: redirectUrls.join(","),
    disable_signup: flag("authDisableSignup", true),
    external_anonymous_users_enabled: false,
  };
  const postgrest: ConfigSettings = {
    db_schema: list("postgrestSchemas").join(",") || "public",
    max_rows: number("postgrestMaxRows", 1000, 1, 1_000_000),
  };
  const realtime: ConfigSettings = { private_only: flag("realtimePrivateOnly", true) };

  const functionSecrets = readFunctionSecrets(config);
  const adminBootstrap = readAdminBootstrap(stack, config, problems, keys);
  const readyTimeoutMinutes = number("supabaseReadyTimeoutMinutes", 15, 1, 120);
  const pruneUnmanagedFunctions = flag("pruneUnmanagedFunctions", false);
  const lockDownLegacyTables = flag("lockDownLegacyTables", kind === "prod");

  return {
    apiUrl,
    projectUrl,
    accessToken: accessToken as pulumi.Output<string>,
    target,
    readyTimeoutMinutes,
    auth,
    postgrest,
    realtime,
    functionSecrets,
    ...(adminBootstrap ? { adminBootstrap } : {}),
    pruneUnmanagedFunctions,
    lockDownLegacyTables,
    protect: kind !== "preview",
  };
}
