// The pinned contract of the Management API operations we use (infra/supabase/openapi/management-api.subset.json): matches a
// request to its documented operation and checks path parameters, query parameters and the JSON body, answering
// as the real API does when something is wrong.
import { readFileSync } from "node:fs";
import { checkAgainstSchema, minimalValue, type Schema } from "./schema-check.ts";

interface Parameter {
  name: string;
  in: "path" | "query" | "header";
  required: boolean;
  schema: Schema;
}

interface Operation {
  parameters: Parameter[];
  requestBody: { required: boolean; content: Record<string, Schema> } | null;
  responses: string[];
  /** The JSON body schema of each documented success status that has one. */
  responseBodies?: Record<string, Schema>;
}

export interface MatchedOperation {
  /** e.g. `PATCH /v1/projects/{ref}/config/auth` */
  key: string;
  params: Record<string, string>;
  query: Record<string, unknown>;
  /** Status codes the document lists for this operation. */
  responses: string[];
  bodySchema(contentType: string): Schema | undefined;
  /** The documented JSON body of a success answer with this status, if the document gives one. */
  responseSchema(status: number): Schema | undefined;
}

export type ContractViolation = { status: number; body: Record<string, unknown> };

const subset = JSON.parse(readFileSync(new URL("../../../infra/supabase/openapi/management-api.subset.json", import.meta.url), "utf8")) as {
  operations: Record<string, Operation>;
};

const routes = Object.entries(subset.operations).map(([key, operation]) => {
  const [method, template] = key.split(" ") as [string, string];
  const names: string[] = [];
  const pattern = new RegExp(
    `^${template.replace(/\{([^}]+)\}/g, (_match, name: string) => {
      names.push(name);
      return "([^/]+)";
    })}$`,
  );
  return { key, method, template, pattern, names, operation };
});

export function matchOperation(method: string, pathname: string, searchParams: URLSearchParams): MatchedOperation | ContractViolation {
  const candidates = routes.filter((route) => route.pattern.test(pathname));
  const route = candidates.find((candidate) => candidate.method === method);
  if (!route) {
    // Unmatched method or path: the API's router answers 404 "Cannot <METHOD> <path>".
    return { status: 404, body: { message: `Cannot ${method} ${pathname}`, error: "Not Found", statusCode: 404 } };
  }
  const values = (route.pattern.exec(pathname) ?? []).slice(1).map(decodeURIComponent);
  const params = Object.fromEntries(route.names.map((name, index) => [name, values[index] ?? ""]));
  const problems: string[] = [];
  const query: Record<string, unknown> = {};

  for (const parameter of route.operation.parameters) {
    if (parameter.in === "path") {
      problems.push(...checkAgainstSchema(params[parameter.name], parameter.schema, parameter.name));
    } else if (parameter.in === "query") {
      const raw = searchParams.getAll(parameter.name);
      if (raw.length === 0) {
        if (parameter.required) problems.push(`${parameter.name} is required`);
        continue;
      }
      const value = coerceQuery(raw, parameter.schema);
      query[parameter.name] = value;
      problems.push(...checkAgainstSchema(value, parameter.schema, parameter.name));
    }
  }
  const known = new Set(route.operation.parameters.filter((p) => p.in === "query").map((p) => p.name));
  for (const name of new Set(searchParams.keys())) {
    if (!known.has(name)) problems.push(`property ${name} should not exist`);
  }
  if (problems.length > 0) return badRequest(problems);

  return {
    key: route.key,
    params,
    query,
    responses: route.operation.responses,
    bodySchema: (contentType) => route.operation.requestBody?.content[contentType],
    responseSchema: (status) => route.operation.responseBodies?.[String(status)],
  };
}

export function checkJsonBody(match: MatchedOperation, body: unknown): ContractViolation | undefined {
  const schema = match.bodySchema("application/json");
  if (!schema) return body === undefined ? undefined : badRequest(["this endpoint takes no JSON body"]);
  if (body === undefined) return badRequest(["a JSON body is required"]);
  const problems = checkAgainstSchema(body, schema, "body");
  return problems.length > 0 ? badRequest(problems) : undefined;
}

export function badRequest(problems: string[]): ContractViolation {
  return { status: 400, body: { message: problems, error: "Bad Request", statusCode: 400 } };
}

function coerceQuery(raw: string[], schema: Schema): unknown {
  if (schema.type === "array") return raw.flatMap((value) => value.split(",")).map((value) => coerceScalar(value, schema.items ?? {}));
  return coerceScalar(raw[raw.length - 1] ?? "", schema);
}

function coerceScalar(value: string, schema: Schema): unknown {
  if (schema.type === "boolean") return value === "true" ? true : value === "false" ? false : value;
  if (schema.type === "integer" || schema.type === "number") return /^-?\d+(\.\d+)?$/.test(value) ? Number(value) : value;
  return value;
}

/** The least answer the document allows for an operation's success status: a fake record's starting point. */
export function documentedMinimum(key: string, status = 200): Record<string, unknown> {
  const schema = subset.operations[key]?.responseBodies?.[String(status)];
  if (!schema) throw new Error(`the subset documents no ${status} body for ${key}`);
  return minimalValue(schema) as Record<string, unknown>;
}
