// Edge functions in the fake Management API: multipart source uploads (with or without bundleOnly), the bulk
// activation of uploaded versions, reads and deletes, and the records the API answers with.
import { randomUUID } from "node:crypto";
import { badRequest } from "./api-contract.ts";
import { type Answer, notFound, type Operations, ok, sha256 } from "./fake-operations.ts";
import type { FakeProject, FakeProjectStore } from "./fake-project-store.ts";
import { checkAgainstSchema, type Schema } from "./schema-check.ts";

export interface FakeFunction {
  id: string;
  slug: string;
  name: string;
  /** Latest uploaded version. */
  version: number;
  /** The version being served; undefined until activated. */
  activeVersion?: number;
  verifyJwt: boolean;
  entrypointPath: string;
  importMapPath?: string;
  createdAt: number;
  updatedAt: number;
  /** version → uploaded files (path → text) */
  bundles: Map<number, Map<string, string>>;
}

export function functionOperations(store: FakeProjectStore): Operations {
  return {
    "POST /v1/projects/{ref}/functions/deploy": ({ params, query, form, bodySchema }) =>
      store.withTarget(params, (project) =>
        deployFunction(project, query, form as FormData, bodySchema("multipart/form-data")?.properties?.["metadata"] ?? {}),
      ),
    "GET /v1/projects/{ref}/functions": ({ params }) =>
      store.withTarget(params, (project) =>
        ok([...project.functions.values()].filter((fn) => fn.activeVersion !== undefined).map(functionView)),
      ),
    "PUT /v1/projects/{ref}/functions": ({ params, body }) =>
      store.withTarget(params, (project) => activateFunctions(project, body as Record<string, unknown>[])),
    "GET /v1/projects/{ref}/functions/{function_slug}": ({ params }) =>
      store.withTarget(params, (project) => {
        const fn = project.functions.get(params["function_slug"] ?? "");
        return fn?.activeVersion !== undefined ? ok(functionView(fn)) : notFound("Function not found");
      }),
    "DELETE /v1/projects/{ref}/functions/{function_slug}": ({ params }) =>
      store.withTarget(params, (project) =>
        project.functions.delete(params["function_slug"] ?? "") ? { status: 200, body: undefined } : notFound("Function not found"),
      ),
  };
}

/** `POST /functions/deploy`: `metadataSchema` is the documented shape of the `metadata` part. */
export async function deployFunction(
  project: FakeProject,
  query: Record<string, unknown>,
  form: FormData,
  metadataSchema: Schema,
): Promise<Answer> {
  const metadataPart = form.get("metadata");
  if (metadataPart === null) return badRequest(["metadata is required"]);
  let metadata: Record<string, unknown>;
  try {
    metadata = JSON.parse(typeof metadataPart === "string" ? metadataPart : await metadataPart.text()) as Record<string, unknown>;
  } catch {
    return badRequest(["metadata must be JSON"]);
  }
  const problems = checkAgainstSchema(metadata, metadataSchema, "metadata");
  if (problems.length > 0) return badRequest(problems);

  const files = new Map<string, string>();
  for (const part of form.getAll("file")) {
    if (typeof part === "string") return badRequest(["file parts must be files"]);
    files.set(part.name, await part.text());
  }
  for (const key of ["entrypoint_path", "import_map_path"] as const) {
    const target = metadata[key];
    if (typeof target === "string" && !files.has(target)) return badRequest([`${key} ${target} is not among the uploaded files`]);
  }
  const slug = String(query["slug"] ?? metadata["name"] ?? "");
  if (!slug) return badRequest(["slug is required"]);

  const now = Date.now();
  const existing = project.functions.get(slug);
  const fn: FakeFunction = existing ?? {
    id: randomUUID(),
    slug,
    name: String(metadata["name"] ?? slug),
    version: 0,
    verifyJwt: true,
    entrypointPath: String(metadata["entrypoint_path"]),
    createdAt: now,
    updatedAt: now,
    bundles: new Map(),
  };
  fn.version += 1;
  fn.updatedAt = now;
  fn.entrypointPath = String(metadata["entrypoint_path"]);
  if (typeof metadata["import_map_path"] === "string") fn.importMapPath = metadata["import_map_path"];
  fn.bundles.set(fn.version, files);
  const verifyJwt = metadata["verify_jwt"] !== false;
  if (query["bundleOnly"] !== true) {
    fn.activeVersion = fn.version;
    fn.verifyJwt = verifyJwt;
  }
  project.functions.set(slug, fn);
  return { status: 201, body: { ...functionView(fn), version: fn.version, verify_jwt: verifyJwt } };
}

export function activateFunctions(project: FakeProject, records: Record<string, unknown>[]): Answer {
  const problems: string[] = [];
  for (const record of records) {
    const fn = project.functions.get(String(record["slug"]));
    if (!fn || fn.id !== record["id"]) problems.push(`function ${String(record["slug"])} does not exist`);
    else if (!fn.bundles.has(Number(record["version"]))) problems.push(`function ${fn.slug} has no version ${String(record["version"])}`);
  }
  if (problems.length > 0) return badRequest(problems);
  const activated = records.map((record) => {
    const fn = project.functions.get(String(record["slug"])) as FakeFunction;
    fn.activeVersion = Number(record["version"]);
    if (typeof record["verify_jwt"] === "boolean") fn.verifyJwt = record["verify_jwt"];
    fn.updatedAt = Date.now();
    return functionView(fn);
  });
  return { status: 200, body: { functions: activated } };
}

export function functionView(fn: FakeFunction): Record<string, unknown> {
  return {
    id: fn.id,
    slug: fn.slug,
    name: fn.name,
    status: "ACTIVE",
    version: fn.activeVersion ?? fn.version,
    created_at: fn.createdAt,
    updated_at: fn.updatedAt,
    verify_jwt: fn.verifyJwt,
    import_map: fn.importMapPath !== undefined,
    entrypoint_path: fn.entrypointPath,
    ...(fn.importMapPath ? { import_map_path: fn.importMapPath } : {}),
    ezbr_sha256: sha256(JSON.stringify([...(fn.bundles.get(fn.activeVersion ?? fn.version) ?? new Map())])),
  };
}
