// A Supabase project: created once (adopted by name if it already exists), waited on until it and the services
// the next steps need are healthy. Region and organization cannot change in place, and a project is never
// replaced by a plan: those changes are refused instead.
import type * as pulumi from "@pulumi/pulumi";
import type { InstanceSize, Project, ServiceName } from "../api/types.ts";
import { waitForProjectReady } from "../readiness.ts";
import {
  type Connection,
  connectionChanged,
  connectionOf,
  type ProviderContext,
  readyOptions,
  sha256Hex,
  type SupabaseProvider,
} from "./context.ts";

export interface ProjectInputs extends Connection {
  organizationSlug: string;
  name: string;
  region: string;
  instanceSize?: InstanceSize;
  dbPassword: string;
  /** Services that must be healthy before dependents run (auth config needs auth, migrations need db, …). */
  services: ServiceName[];
  readyTimeoutMinutes: number;
}

export interface ProjectOutputs extends Connection {
  ref: string;
  organizationSlug: string;
  name: string;
  region: string;
  instanceSize?: InstanceSize;
  status: string;
  /** https://<ref>.supabase.co */
  url: string;
  dbHost: string;
  /** SHA-256 of the password we set, to notice a rotation without keeping the password in outputs. */
  dbPasswordDigest: string;
  adopted: boolean;
}

const IMMUTABLE: readonly (keyof ProjectInputs)[] = ["organizationSlug", "region", "instanceSize"];

export function createProjectProvider(context: ProviderContext): SupabaseProvider<ProjectInputs, ProjectOutputs> {
  return {
    async check(olds, news) {
      const failures: pulumi.dynamic.CheckFailure[] = [];
      for (const key of ["organizationSlug", "name", "region", "dbPassword"] as const) {
        if (typeof news[key] !== "string" || news[key] === "") failures.push({ property: key, reason: `${key} is required` });
      }
      if (typeof news.dbPassword === "string" && news.dbPassword.length > 0 && news.dbPassword.length < 8) {
        failures.push({ property: "dbPassword", reason: "the database password must have at least 8 characters" });
      }
      if (!(news.readyTimeoutMinutes > 0)) failures.push({ property: "readyTimeoutMinutes", reason: "must be a positive number" });
      const existing = olds.name !== undefined;
      for (const key of IMMUTABLE) {
        if (existing && olds[key] !== news[key]) {
          failures.push({
            property: key,
            reason:
              `${key} of an existing Supabase project cannot change (${String(olds[key])} → ${String(news[key])}); ` +
              "revert the setting, or create a new project in a new stack and move the data",
          });
        }
      }
      return { inputs: news, failures };
    },

    async diff(_id, olds, news) {
      const changed =
        olds.name !== news.name || olds.dbPasswordDigest !== sha256Hex(news.dbPassword) || connectionChanged(olds, news);
      return { changes: changed, replaces: [], deleteBeforeReplace: false };
    },

    async create(inputs) {
      const client = context.clientFor(inputs);
      const { value: project, adopted } = await client.createOrAdoptProject({
        name: inputs.name,
        organization_slug: inputs.organizationSlug,
        db_pass: inputs.dbPassword,
        region_selection: { type: "specific", code: inputs.region },
        ...(inputs.instanceSize ? { desired_instance_size: inputs.instanceSize } : {}),
      });
      if (adopted && project.region !== inputs.region) {
        throw new Error(
          `Project "${inputs.name}" already exists in organization ${inputs.organizationSlug} (ref ${project.ref}) ` +
            `but in region ${project.region}, not ${inputs.region}: refusing to adopt it`,
        );
      }
      await waitForProjectReady(client, project.ref, inputs.services, readyOptions(context, inputs));
      const ready = await client.getProject(project.ref);
      return { id: project.ref, outs: outputsOf(inputs, ready, adopted) };
    },

    async update(id, olds, news) {
      const client = context.clientFor(news);
      if (olds.name !== news.name) await client.renameProject(id, news.name);
      if (olds.dbPasswordDigest !== sha256Hex(news.dbPassword)) await client.updateDatabasePassword(id, news.dbPassword);
      await waitForProjectReady(client, id, news.services, readyOptions(context, news));
      const ready = await client.getProject(id);
      return { outs: outputsOf(news, ready, olds.adopted) };
    },

    read: (id, props) => readProject(context, id, props),

    async delete(id, props) {
      await context.clientFor(props).deleteProject(id);
    },
  };
}

/** A project's recorded outputs, with what may change outside Pulumi (name, region, status) read from the live one. */
export async function readProject<Props extends Connection & { name: string; region: string; status: string }>(
  context: ProviderContext,
  id: string,
  props: Props | undefined,
): Promise<{ id: string; props: Props }> {
  if (!props) throw new Error(`Cannot read project ${id} without its recorded state`);
  const project = await context.clientFor(props).getProject(id);
  return { id, props: { ...props, name: project.name, region: project.region, status: project.status } };
}

/** Where a project answers: its API base URL and its database host. */
export function projectEndpoints(project: Project): { url: string; dbHost: string } {
  return { url: `https://${project.ref}.supabase.co`, dbHost: project.database?.host ?? `db.${project.ref}.supabase.co` };
}

function outputsOf(inputs: ProjectInputs, project: Project, adopted: boolean): ProjectOutputs {
  return {
    ...connectionOf(inputs),
    ref: project.ref,
    organizationSlug: inputs.organizationSlug,
    name: project.name,
    region: project.region,
    ...(inputs.instanceSize ? { instanceSize: inputs.instanceSize } : {}),
    status: project.status,
    ...projectEndpoints(project),
    dbPasswordDigest: sha256Hex(inputs.dbPassword),
    adopted,
  };
}
