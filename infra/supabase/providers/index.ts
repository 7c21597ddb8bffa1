// Every Supabase provider implementation, keyed by the kind the serialized shims ask for. This module is what
// Pulumi's dynamic-provider process loads (see ../resources/provider-shim.ts); tests build providers with their
// own context instead.
import type * as pulumi from "@pulumi/pulumi";
import { createAdminBootstrapProvider } from "./admin-bootstrap.ts";
import { createAdoptedProjectProvider } from "./adopted-project.ts";
import { createBranchProvider } from "./branch.ts";
import { createProviderContext, type ProviderContext } from "./context.ts";
import { createFunctionReleaseProvider } from "./function-release.ts";
import { createLegacyLockdownProvider } from "./legacy-lockdown.ts";
import { createMigrationsProvider } from "./migrations.ts";
import { createProjectProvider } from "./project.ts";
import { createSecretsProvider } from "./secrets.ts";
import { createServiceConfigProvider } from "./service-config.ts";

export type ProviderKind =
  | "project"
  | "adoptedProject"
  | "branch"
  | "authConfig"
  | "postgrestConfig"
  | "realtimeConfig"
  | "migrations"
  | "functionRelease"
  | "secrets"
  | "adminBootstrap"
  | "legacyLockdown";

// Each provider is typed by its own inputs; the registry hands them out untyped, as Pulumi does.
type AnyProvider = pulumi.dynamic.ResourceProvider;

export function createProviders(context: ProviderContext): Record<ProviderKind, AnyProvider> {
  return {
    project: createProjectProvider(context),
    adoptedProject: createAdoptedProjectProvider(context),
    branch: createBranchProvider(context),
    authConfig: createServiceConfigProvider("auth", context),
    postgrestConfig: createServiceConfigProvider("postgrest", context),
    realtimeConfig: createServiceConfigProvider("realtime", context),
    migrations: createMigrationsProvider(context),
    functionRelease: createFunctionReleaseProvider(context),
    secrets: createSecretsProvider(context),
    adminBootstrap: createAdminBootstrapProvider(context),
    legacyLockdown: createLegacyLockdownProvider(context),
  };
}

export const providers = createProviders(createProviderContext());
