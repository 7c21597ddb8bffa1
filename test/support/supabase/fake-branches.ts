// Branches in the fake Management API: a project's default branch and its preview branches (each a project of its
// own with a parent), their status reads, renames and deletes (a persistent branch cannot be deleted).
import { randomUUID } from "node:crypto";
import { type Answer, notFound, type Operations, ok } from "./fake-operations.ts";
import type { FakeProject, FakeProjectStore } from "./fake-project-store.ts";

export function branchOperations(store: FakeProjectStore): Operations {
  return {
    "POST /v1/projects/{ref}/branches": ({ params, body }) =>
      store.withProject(params, (parent) => createBranch(store, parent, body as Record<string, unknown>)),
    "GET /v1/projects/{ref}/branches": ({ params }) => store.withProject(params, (parent) => ok(branchViewsOf(store, parent))),
    "GET /v1/projects/{ref}/branches/{name}": ({ params }) =>
      store.withProject(params, (parent) => {
        const branch = branchViewsOf(store, parent).find((candidate) => candidate["name"] === params["name"]);
        return branch ? ok(branch) : notFound("Branch not found");
      }),
    "GET /v1/branches/{branch_id_or_ref}": ({ params }) =>
      store.withBranch(params, (branch) => {
        store.poll(branch);
        return ok({
          ref: branch.ref,
          postgres_version: "17.4",
          postgres_engine: "17",
          release_channel: "ga",
          status: store.statusOf(branch),
          db_host: `db.${branch.ref}.supabase.co`,
          db_port: 5432,
          db_user: "postgres",
          db_pass: branch.dbPassword,
          jwt_secret: "fake-jwt-secret",
        });
      }),
    "PATCH /v1/branches/{branch_id_or_ref}": ({ params, body }) =>
      store.withBranch(params, (branch) => {
        const patch = body as { branch_name?: string; git_branch?: string; persistent?: boolean };
        const info = branch.branch as NonNullable<FakeProject["branch"]>;
        if (patch.branch_name !== undefined) info.name = patch.branch_name;
        if (patch.git_branch !== undefined) info.gitBranch = patch.git_branch;
        if (patch.persistent !== undefined) info.persistent = patch.persistent;
        return ok(branchView(branch));
      }),
    "DELETE /v1/branches/{branch_id_or_ref}": ({ params }) =>
      store.withBranch(params, async (branch) => {
        if (branch.branch?.persistent) return { status: 422, body: { message: "Persistent branches cannot be deleted" } };
        await store.drop(branch);
        return ok({ message: "ok" });
      }),
  };
}

function createBranch(store: FakeProjectStore, parent: FakeProject, body: Record<string, unknown>): Answer {
  const name = String(body["branch_name"]);
  if (branchViewsOf(store, parent).some((branch) => branch["name"] === name)) {
    return { status: 409, body: { message: `Branch with name ${name} already exists` } };
  }
  if (body["is_default"] === true || !parent.defaultBranch) {
    if (parent.defaultBranch) return { status: 409, body: { message: "This project already has a default branch" } };
    // The default branch is the project itself: no new database.
    parent.defaultBranch = { id: randomUUID(), name, createdAt: new Date().toISOString() };
    return { status: 201, body: defaultBranchView(parent) };
  }
  const branch = store.create(`${parent.name}-${name}`, parent.organizationSlug, parent.region, "branch-password");
  branch.branch = {
    id: randomUUID(),
    name,
    parentRef: parent.ref,
    persistent: body["persistent"] === true,
    isDefault: body["is_default"] === true,
    ...(typeof body["git_branch"] === "string" ? { gitBranch: body["git_branch"] } : {}),
  };
  return { status: 201, body: branchView(branch) };
}

function branchViewsOf(store: FakeProjectStore, parent: FakeProject): Record<string, unknown>[] {
  const previews = store.branchesOf(parent).map((branch) => branchView(branch));
  return parent.defaultBranch ? [defaultBranchView(parent), ...previews] : previews;
}

function defaultBranchView(parent: FakeProject): Record<string, unknown> {
  const info = parent.defaultBranch as NonNullable<FakeProject["defaultBranch"]>;
  return branchRecord({ ...info, projectRef: parent.ref, parentRef: parent.ref, isDefault: true, persistent: true });
}

function branchView(branch: FakeProject): Record<string, unknown> {
  const info = branch.branch as NonNullable<FakeProject["branch"]>;
  return branchRecord({ ...info, projectRef: branch.ref, createdAt: branch.createdAt });
}

function branchRecord(fields: {
  id: string;
  name: string;
  projectRef: string;
  parentRef: string;
  isDefault: boolean;
  persistent: boolean;
  gitBranch?: string;
  createdAt: string;
}): Record<string, unknown> {
  return {
    id: fields.id,
    name: fields.name,
    project_ref: fields.projectRef,
    parent_project_ref: fields.parentRef,
    is_default: fields.isDefault,
    ...(fields.gitBranch ? { git_branch: fields.gitBranch } : {}),
    persistent: fields.persistent,
    status: "FUNCTIONS_DEPLOYED",
    created_at: fields.createdAt,
    updated_at: fields.createdAt,
    with_data: false,
  };
}
