// Regenerates management-api.subset.json: the operations of the Supabase Management API that we call, cut out of
// the full OpenAPI document with every $ref inlined. The fake Management API validates requests against it, so a
// field the real API would reject is rejected in our tests too.
//
//   npx tsx infra/supabase/openapi/extract-subset.ts <path to v1-json> "<where the document came from>"
//
// The full document is https://api.supabase.com/api/v1-json (also vendored by supabase-community/supabase-management-js
// as openapi/v1.json). Review the diff of the subset like any other contract change.
import { readFile, writeFile } from "node:fs/promises";

const USED_OPERATIONS = [
  "GET /v1/projects",
  "POST /v1/projects",
  "GET /v1/projects/{ref}",
  "PATCH /v1/projects/{ref}",
  "DELETE /v1/projects/{ref}",
  "GET /v1/projects/{ref}/health",
  "PATCH /v1/projects/{ref}/database/password",
  "GET /v1/projects/{ref}/config/auth",
  "PATCH /v1/projects/{ref}/config/auth",
  "GET /v1/projects/{ref}/postgrest",
  "PATCH /v1/projects/{ref}/postgrest",
  "GET /v1/projects/{ref}/config/realtime",
  "PATCH /v1/projects/{ref}/config/realtime",
  "POST /v1/projects/{ref}/database/query",
  "POST /v1/projects/{ref}/functions/deploy",
  "GET /v1/projects/{ref}/functions",
  "PUT /v1/projects/{ref}/functions",
  "GET /v1/projects/{ref}/functions/{function_slug}",
  "DELETE /v1/projects/{ref}/functions/{function_slug}",
  "GET /v1/projects/{ref}/secrets",
  "POST /v1/projects/{ref}/secrets",
  "DELETE /v1/projects/{ref}/secrets",
  "GET /v1/projects/{ref}/branches",
  "POST /v1/projects/{ref}/branches",
  "GET /v1/projects/{ref}/branches/{name}",
  "GET /v1/branches/{branch_id_or_ref}",
  "PATCH /v1/branches/{branch_id_or_ref}",
  "DELETE /v1/branches/{branch_id_or_ref}",
] as const;

const KEPT_SCHEMA_KEYS = new Set([
  "type", "format", "enum", "pattern", "minLength", "maxLength", "minimum", "maximum", "nullable", "items",
  "properties", "required", "additionalProperties", "oneOf", "anyOf", "allOf", "deprecated", "default",
]);

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Spec = { paths: Record<string, Record<string, Json>>; components: { schemas: Record<string, Json> } };

function inline(spec: Spec, node: Json, trail: string[] = []): Json {
  if (Array.isArray(node)) return node.map((item) => inline(spec, item, trail));
  if (node === null || typeof node !== "object") return node;
  const ref = node["$ref"];
  if (typeof ref === "string") {
    const name = ref.split("/").pop() ?? "";
    if (trail.includes(name)) return {};
    const target = spec.components.schemas[name];
    if (target === undefined) throw new Error(`unresolved $ref ${ref}`);
    return inline(spec, target, [...trail, name]);
  }
  const out: Record<string, Json> = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === "properties" && value && typeof value === "object" && !Array.isArray(value)) {
      out[key] = Object.fromEntries(Object.entries(value).map(([name, schema]) => [name, inline(spec, schema, trail)]));
    } else if (KEPT_SCHEMA_KEYS.has(key)) {
      out[key] = inline(spec, value, trail);
    }
  }
  return out;
}

function pick(spec: Spec, operation: string): Json {
  const [method, path] = operation.split(" ") as [string, string];
  const op = spec.paths[path]?.[method.toLowerCase()];
  if (!op || typeof op !== "object" || Array.isArray(op)) throw new Error(`${operation} is not in the document`);
  const parameters = (Array.isArray(op["parameters"]) ? op["parameters"] : []) as Record<string, Json>[];
  const requestBody = op["requestBody"] as Record<string, Json> | undefined;
  const content = requestBody?.["content"] as Record<string, Record<string, Json>> | undefined;
  return {
    parameters: parameters.map((parameter) => ({
      name: parameter["name"] ?? null,
      in: parameter["in"] ?? null,
      required: parameter["required"] ?? false,
      schema: inline(spec, parameter["schema"] ?? {}),
    })),
    requestBody: content
      ? {
          required: requestBody?.["required"] ?? false,
          content: Object.fromEntries(Object.entries(content).map(([type, media]) => [type, inline(spec, media["schema"] ?? {})])),
        }
      : null,
    responses: Object.keys((op["responses"] ?? {}) as object),
    // What each success answer's JSON body looks like: the fake Management API holds its own answers to it.
    responseBodies: Object.fromEntries(
      Object.entries((op["responses"] ?? {}) as Record<string, Record<string, Json>>)
        .filter(([status]) => status.startsWith("2"))
        .flatMap(([status, response]) => {
          const media = (response["content"] as Record<string, Record<string, Json>> | undefined)?.["application/json"];
          return media?.["schema"] ? [[status, inline(spec, media["schema"])]] : [];
        }),
    ),
  };
}

async function main(): Promise<void> {
  const [specPath, source] = process.argv.slice(2);
  if (!specPath || !source) throw new Error("usage: extract-subset.ts <v1-json path> <source description>");
  const spec = JSON.parse(await readFile(specPath, "utf8")) as Spec;
  const operations = Object.fromEntries(USED_OPERATIONS.map((operation) => [operation, pick(spec, operation)]));
  const target = new URL("./management-api.subset.json", import.meta.url);
  await writeFile(target, `${JSON.stringify({ source, operations }, null, 1)}\n`);
}

await main();
