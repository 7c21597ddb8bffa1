// Projects in the fake Management API: list, create (409 on a duplicate name in the organization), read (which
// counts as a status poll), rename, delete, database password and service health.
import type { ServiceName } from "../../../infra/supabase/api/types.ts";
import { type Answer, notFound, type Operations, ok } from "./fake-operations.ts";
import type { FakeProject, FakeProjectStore } from "./fake-project-store.ts";

export function projectOperations(store: FakeProjectStore): Operations {
  const view = (project: FakeProject) => projectView(store, project);
  return {
    "GET /v1/projects": () => ok(store.topLevel().map(view)),
    "POST /v1/projects": ({ body }) => createProject(store, body as Record<string, unknown>),
    // Branch refs answer 404 here: their status lives at /v1/branches/{ref}.
    "GET /v1/projects/{ref}": ({ params }) =>
      store.withProject(params, (project) => {
        store.poll(project);
        return ok({ ...view(project) });
      }),
    "PATCH /v1/projects/{ref}": ({ params, body }) =>
      store.withProject(params, (project) => {
        project.name = (body as { name: string }).name;
        return ok({ id: 1, ref: project.ref, name: project.name });
      }),
    "DELETE /v1/projects/{ref}": ({ params }) =>
      store.withProject(params, async (project) => {
        await store.drop(project);
        return ok({ id: 1, ref: project.ref, name: project.name });
      }),
    "PATCH /v1/projects/{ref}/database/password": ({ params, body }) =>
      store.withProject(params, (project) => {
        project.dbPassword = (body as { password: string }).password;
        return ok({ message: "ok" });
      }),
    "GET /v1/projects/{ref}/health": ({ params, query }) => {
      const project = store.get(params["ref"] ?? "");
      if (!project) return notFound("Project not found");
      const up = store.statusOf(project) === "ACTIVE_HEALTHY";
      return ok(
        (query["services"] as ServiceName[]).map((name) => {
          if (!up) return { name, healthy: false, status: "COMING_UP" };
          if (store.unhealthyServices.has(name)) return { name, healthy: false, status: "UNHEALTHY", error: `${name} is failing its checks` };
          return { name, healthy: true, status: "ACTIVE_HEALTHY" };
        }),
      );
    },
  };
}

function createProject(store: FakeProjectStore, body: Record<string, unknown>): Answer {
  const name = String(body["name"]);
  const organizationSlug = String(body["organization_slug"]);
  const duplicate = store.topLevel().some((p) => p.name === name && p.organizationSlug === organizationSlug);
  if (duplicate) return { status: 409, body: { message: `Project with name ${name} already exists in this organization` } };
  const region = (body["region_selection"] as { code?: string } | undefined)?.code ?? String(body["region"] ?? "us-east-1");
  const project = store.create(name, organizationSlug, region, String(body["db_pass"]));
  if (typeof body["desired_instance_size"] === "string") project.instanceSize = body["desired_instance_size"];
  const view = projectView(store, project);
  delete view["database"];
  return { status: 201, body: view };
}

function projectView(store: FakeProjectStore, project: FakeProject): Record<string, unknown> {
  return {
    id: project.ref,
    ref: project.ref,
    organization_id: project.organizationSlug,
    organization_slug: project.organizationSlug,
    name: project.name,
    region: project.region,
    created_at: project.createdAt,
    status: store.statusOf(project),
    database: { host: `db.${project.ref}.supabase.co`, version: "17.4", postgres_engine: "17", release_channel: "ga" },
  };
}
