// Auth, PostgREST and Realtime settings in the fake Management API: what a new project starts with, and the
// GET/PATCH pairs that read and change them (auth secrets read back hashed, as the API stores them write-only).
import { documentedMinimum } from "./api-contract.ts";
import { type Operations, ok, sha256 } from "./fake-operations.ts";
import type { FakeProject, FakeProjectStore } from "./fake-project-store.ts";

/** Auth settings the API stores write-only and reads back hashed. */
const SECRET_AUTH_FIELD = /(_secret|_secrets|_pass|_auth_token|_api_key|_api_secret|_access_key)$/;

export function initialServiceConfig(): Pick<FakeProject, "authConfig" | "postgrest" | "realtime"> {
  // Every field the documented answers carry, then the values a new project has for the ones we look at.
  return {
    authConfig: {
      ...documentedMinimum("GET /v1/projects/{ref}/config/auth"),
      site_url: "http://localhost:3000",
      uri_allow_list: "",
      disable_signup: false,
      jwt_exp: 3600,
      external_anonymous_users_enabled: false,
    },
    postgrest: {
      ...documentedMinimum("GET /v1/projects/{ref}/postgrest"),
      db_schema: "public,graphql_public",
      max_rows: 1000,
      db_extra_search_path: "public,extensions",
      db_pool: null,
    },
    realtime: { ...documentedMinimum("GET /v1/projects/{ref}/config/realtime"), private_only: false, max_concurrent_users: 200, suspend: false },
  };
}

export function serviceConfigOperations(store: FakeProjectStore): Operations {
  return {
    "GET /v1/projects/{ref}/config/auth": ({ params }) => store.withTarget(params, (project) => ok(hashSecretAuthFields(project.authConfig))),
    "PATCH /v1/projects/{ref}/config/auth": ({ params, body }) =>
      store.withTarget(params, (project) => {
        Object.assign(project.authConfig, body);
        return ok(hashSecretAuthFields(project.authConfig));
      }),
    "GET /v1/projects/{ref}/postgrest": ({ params }) => store.withTarget(params, (project) => ok(project.postgrest)),
    "PATCH /v1/projects/{ref}/postgrest": ({ params, body }) =>
      store.withTarget(params, (project) => {
        Object.assign(project.postgrest, body);
        return ok(project.postgrest);
      }),
    "GET /v1/projects/{ref}/config/realtime": ({ params }) => store.withTarget(params, (project) => ok(project.realtime)),
    "PATCH /v1/projects/{ref}/config/realtime": ({ params, body }) =>
      store.withTarget(params, (project) => {
        Object.assign(project.realtime, body);
        return { status: 204, body: undefined };
      }),
  };
}

function hashSecretAuthFields(config: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(config).map(([key, value]) => [key, SECRET_AUTH_FIELD.test(key) && typeof value === "string" ? sha256(value) : value]),
  );
}
