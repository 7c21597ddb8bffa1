// The Supabase side of one stack: a project (staging, prod) or a branch of staging (pr-<n>), and on it the auth,
// PostgREST and realtime settings, the function secrets, the migrations, the first admin (when configured) and the
// function release.
import * as pulumi from "@pulumi/pulumi";
import type { ConfigSettings, InstanceSize, ServiceName } from "./api/types.ts";
import { AdminBootstrap } from "./resources/admin-bootstrap.ts";
import { AdoptedProject } from "./resources/adopted-project.ts";
import { Branch } from "./resources/branch.ts";
import { FunctionRelease } from "./resources/function-release.ts";
import { LegacyLockdown } from "./resources/legacy-lockdown.ts";
import { Migrations } from "./resources/migrations.ts";
import { Project } from "./resources/project.ts";
import { Secrets } from "./resources/secrets.ts";
import { AuthConfig, PostgrestConfig, RealtimeConfig } from "./resources/service-config.ts";
import type { SourceManifest } from "./source-manifest.ts";

export interface ProjectTarget {
  kind: "project";
  organizationSlug: string;
  name: string;
  region: string;
  instanceSize?: InstanceSize;
  dbPassword: pulumi.Input<string>;
}

/** A project that exists already (supabaseProjectRef): adopted by ref, never created, never deleted. */
export interface AdoptedProjectTarget {
  kind: "adopt";
  ref: string;
  organizationSlug: string;
  region: string;
}

export interface BranchTarget {
  kind: "branch";
  parentRef: string;
  branchName: string;
  gitBranch?: string;
}

export interface SupabaseEnvironmentArgs {
  apiUrl: string;
  /** Base URL of the project's APIs with `{ref}` for its ref; default https://{ref}.supabase.co. */
  projectUrl?: string;
  accessToken: pulumi.Input<string>;
  target: ProjectTarget | AdoptedProjectTarget | BranchTarget;
  readyTimeoutMinutes: number;
  auth: ConfigSettings;
  postgrest: ConfigSettings;
  realtime: ConfigSettings;
  functionSecrets: pulumi.Input<Record<string, string>>;
  /** The first admin (adminBootstrapUsername + adminBootstrapPassword); no AdminBootstrap resource without it. */
  adminBootstrap?: { username: string; password: pulumi.Input<string> };
  sources: SourceManifest;
  /** Also delete live functions the release never deployed (the 2025 backend's, on prod). Default: keep them. */
  pruneUnmanagedFunctions?: boolean;
  /** Lock every legacy table of public, not only those holding secrets. */
  lockDownLegacyTables?: boolean;
  /**
   * Protect every resource, not just the project: `pulumi destroy` deletes dependents before it reaches a
   * protected project, so protecting the project alone would still let it wipe functions and secrets.
   */
  protect: boolean;
}

/** Everything the next steps need healthy: migrations (db), auth and PostgREST settings, realtime settings. */
export const REQUIRED_SERVICES: ServiceName[] = ["db", "auth", "rest", "realtime"];

export class SupabaseEnvironment extends pulumi.ComponentResource {
  readonly ref: pulumi.Output<string>;
  /** https://<ref>.supabase.co */
  readonly url: pulumi.Output<string>;
  /** Where the frontend host rewrites /api/v1/* to. */
  readonly apiBaseUrl: pulumi.Output<string>;
  readonly functionUrls: pulumi.Output<Record<string, string>>;
  /** What the legacy lockdown changed, one line per statement. */
  readonly legacyLockdown: pulumi.Output<string[]>;

  constructor(name: string, args: SupabaseEnvironmentArgs, opts?: pulumi.ComponentResourceOptions) {
    // Component inputs are not passed to super: Outputs there can leave promises dangling (pulumi/pulumi#23953).
    super("love:supabase:Environment", name, {}, opts);
    const childOptions = { parent: this, protect: args.protect };
    const connection = { apiUrl: args.apiUrl, accessToken: args.accessToken };
    const target = this.createTarget(name, args, connection, childOptions);
    // An adopted project's ref is known from the configuration, so its dependents' inputs are known in a preview
    // too (they can read the live project and show what they would change); they still wait for its checks.
    const adoptedRef = args.target.kind === "adopt" ? args.target.ref : undefined;
    const projectRef = adoptedRef !== undefined ? pulumi.output(adoptedRef) : target.ref;
    const onTarget = { ...connection, projectRef };
    const child = { ...childOptions, dependsOn: [target] };

    const auth = new AuthConfig(`${name}-auth`, { ...onTarget, settings: args.auth }, child);
    const postgrest = new PostgrestConfig(`${name}-postgrest`, { ...onTarget, settings: args.postgrest }, child);
    const realtime = new RealtimeConfig(`${name}-realtime`, { ...onTarget, settings: args.realtime }, child);
    const secrets = new Secrets(`${name}-secrets`, { ...onTarget, values: args.functionSecrets }, child);
    const migrations = new Migrations(
      `${name}-migrations`,
      { ...onTarget, migrationsDir: args.sources.migrationsDir, migrations: args.sources.migrations },
      child,
    );
    // The first admin, once love.ensure_admin and love.admins exist; created once, never changed afterwards.
    if (args.adminBootstrap) {
      new AdminBootstrap(
        `${name}-admin-bootstrap`,
        { ...onTarget, username: args.adminBootstrap.username, password: args.adminBootstrap.password },
        { ...child, dependsOn: [target, migrations] },
      );
    }
    // The 2025 backend's tables in public: those holding secrets closed to the API roles (all of them with
    // lockDownLegacyTables); recorded in love.legacy_lockdown_log, so after the migrations. Nothing on a fresh project.
    const lockdown = new LegacyLockdown(
      `${name}-legacy-lockdown`,
      { ...onTarget, lockAll: args.lockDownLegacyTables === true },
      { ...child, dependsOn: [target, migrations] },
    );
    this.legacyLockdown = lockdown.changes.apply((changes) => (changes ?? []).map((change) => `${change.statement} (${change.reason})`));
    // Functions go live only once the schema they query and the secrets they read are in place.
    const release = new FunctionRelease(
      `${name}-functions`,
      {
        ...onTarget,
        ...args.sources.functionLayout,
        functions: args.sources.functions,
        pruneUnmanagedFunctions: args.pruneUnmanagedFunctions === true,
      },
      { ...child, dependsOn: [target, migrations, secrets, auth, postgrest, realtime] },
    );

    // Outputs come from the target resource, so what reads them (monitoring's scrape config) waits for its checks.
    this.ref = target.ref;
    const template = args.projectUrl;
    this.url = template ? target.ref.apply((ref) => template.replaceAll("{ref}", ref)) : target.url;
    this.apiBaseUrl = pulumi.interpolate`${this.url}/functions/v1`;
    const slugs = args.sources.functions.map((fn) => fn.slug);
    this.functionUrls = pulumi
      .all([this.url, release.id])
      .apply(([url]) => Object.fromEntries(slugs.map((slug) => [slug, `${url}/functions/v1/${slug}`])));
    this.registerOutputs({
      ref: this.ref,
      url: this.url,
      apiBaseUrl: this.apiBaseUrl,
      functionUrls: this.functionUrls,
      legacyLockdown: this.legacyLockdown,
    });
  }

  private createTarget(
    name: string,
    args: SupabaseEnvironmentArgs,
    connection: { apiUrl: string; accessToken: pulumi.Input<string> },
    opts: pulumi.CustomResourceOptions,
  ): Project | AdoptedProject | Branch {
    const waiting = { services: REQUIRED_SERVICES, readyTimeoutMinutes: args.readyTimeoutMinutes };
    if (args.target.kind === "adopt") {
      const { ref, organizationSlug, region } = args.target;
      // Retained whatever happens to the resource; its provider never deletes anyway.
      return new AdoptedProject(`${name}-project`, { ...connection, ...waiting, ref, organizationSlug, region }, { ...opts, retainOnDelete: true });
    }
    if (args.target.kind === "branch") {
      const { parentRef, branchName, gitBranch } = args.target;
      return new Branch(`${name}-branch`, { ...connection, ...waiting, parentRef, branchName, ...(gitBranch ? { gitBranch } : {}) }, opts);
    }
    const { organizationSlug, name: projectName, region, instanceSize, dbPassword } = args.target;
    return new Project(
      `${name}-project`,
      { ...connection, ...waiting, organizationSlug, name: projectName, region, ...(instanceSize ? { instanceSize } : {}), dbPassword },
      // A prod or staging project must never be deleted by a plan, even if someone lifts `protect`.
      { ...opts, retainOnDelete: args.protect },
    );
  }
}
