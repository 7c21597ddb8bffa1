// A Supabase project that already exists, adopted by its ref (supabaseProjectRef): prod is the project the
// unchanged frontend's host already rewrites /api/v1 to. It is read, checked against the configured organization
// and region, and waited on; it is never created, changed or deleted. Check runs the same verification, so a wrong
// ref or a ref in another organization fails the preview, before any resource is touched.
import type * as pulumi from "@pulumi/pulumi";
import { isNotFound } from "../api/errors.ts";
import type { Project, ServiceName } from "../api/types.ts";
import type { ManagementClient } from "../client.ts";
import { waitForProjectReady } from "../readiness.ts";
import { type Connection, connectionChanged, connectionOf, type ProviderContext, readyOptions, type SupabaseProvider } from "./context.ts";
import { allKnown } from "./preview.ts";
import { projectEndpoints, readProject } from "./project.ts";

export interface AdoptedProjectInputs extends Connection {
  ref: string;
  organizationSlug: string;
  region: string;
  services: ServiceName[];
  readyTimeoutMinutes: number;
}

export interface AdoptedProjectOutputs extends Connection {
  ref: string;
  organizationSlug: string;
  name: string;
  region: string;
  status: string;
  /** https://<ref>.supabase.co */
  url: string;
  dbHost: string;
  adopted: true;
}

export class AdoptionError extends Error {
  override readonly name = "AdoptionError";
}

const PROJECT_REF = /^[a-z]{20}$/;

export function createAdoptedProjectProvider(context: ProviderContext): SupabaseProvider<AdoptedProjectInputs, AdoptedProjectOutputs> {
  const adopt = async (ref: string, inputs: AdoptedProjectInputs): Promise<AdoptedProjectOutputs> => {
    const client = context.clientFor(inputs);
    await verifiedProject(client, inputs);
    await waitForProjectReady(client, ref, inputs.services, readyOptions(context, inputs));
    return outputsOf(inputs, await client.getProject(ref));
  };

  return {
    async check(olds, news) {
      const failures: pulumi.dynamic.CheckFailure[] = [];
      if (!PROJECT_REF.test(news.ref ?? "")) failures.push({ property: "ref", reason: `must be a 20-letter project ref, got "${news.ref}"` });
      if (!news.organizationSlug) failures.push({ property: "organizationSlug", reason: "organizationSlug is required" });
      if (!news.region) failures.push({ property: "region", reason: "region is required" });
      if (!(news.readyTimeoutMinutes > 0)) failures.push({ property: "readyTimeoutMinutes", reason: "must be a positive number" });
      if (olds.ref !== undefined && olds.ref !== news.ref) {
        failures.push({
          property: "ref",
          reason:
            `this stack adopted project ${olds.ref}; it cannot switch to ${news.ref} in place. Restore supabaseProjectRef, ` +
            "or forget the old one first (pulumi state delete <its URN>: adopted projects are never deleted)",
        });
      }
      if (failures.length === 0 && allKnown(news.apiUrl, news.accessToken)) {
        try {
          await verifiedProject(context.clientFor(news), news);
        } catch (error) {
          if (!(error instanceof AdoptionError)) throw error;
          failures.push({ property: "ref", reason: error.message });
        }
      }
      return { inputs: news, failures };
    },

    async diff(_id, olds, news) {
      const changes = olds.ref !== news.ref || olds.organizationSlug !== news.organizationSlug || olds.region !== news.region || connectionChanged(olds, news);
      return { changes, replaces: [], deleteBeforeReplace: false };
    },

    async create(inputs) {
      return { id: inputs.ref, outs: await adopt(inputs.ref, inputs) };
    },

    async update(id, _olds, news) {
      return { outs: await adopt(id, news) };
    },

    read: (id, props) => readProject(context, id, props),

    async delete() {
      // Adopted, never owned: forgetting the resource leaves the project and everything in it as it is.
    },
  };
}

/** The project of that ref, if this token sees it and it is in the configured organization and region. */
async function verifiedProject(client: ManagementClient, inputs: AdoptedProjectInputs): Promise<Project> {
  let project: Project;
  try {
    project = await client.getProject(inputs.ref);
  } catch (error) {
    if (!isNotFound(error)) throw error;
    throw new AdoptionError(
      `no project ${inputs.ref} is visible to this access token: check supabaseProjectRef, and that the token's account ` +
        `belongs to organization ${inputs.organizationSlug}. Nothing was changed`,
    );
  }
  if (project.organization_slug !== inputs.organizationSlug) {
    throw new AdoptionError(
      `project ${inputs.ref} ("${project.name}") belongs to organization ${project.organization_slug}, not ${inputs.organizationSlug} ` +
        "(supabaseOrganization): refusing to adopt it. Nothing was changed",
    );
  }
  if (project.region !== inputs.region) {
    throw new AdoptionError(
      `project ${inputs.ref} ("${project.name}") is in region ${project.region}, not ${inputs.region} (supabaseRegion): ` +
        "refusing to adopt it. Nothing was changed",
    );
  }
  return project;
}

function outputsOf(inputs: AdoptedProjectInputs, project: Project): AdoptedProjectOutputs {
  return {
    ...connectionOf(inputs),
    ref: project.ref,
    organizationSlug: project.organization_slug,
    name: project.name,
    region: project.region,
    status: project.status,
    ...projectEndpoints(project),
    adopted: true,
  };
}
