// A local stand-in for the Supabase Management API, for tests. It answers only the operations of the pinned
// OpenAPI subset, checks bearer auth, parameters and bodies against it (unknown fields are refused, as the API
// does), answers with the documented success statuses, and runs POST /database/query on a real Postgres: one
// database per fake project. Projects and branches come up after a configurable number of polls; failures
// (429 with Retry-After, 500…) can be injected per endpoint; every request is recorded for assertions.
import { createHash, randomUUID } from "node:crypto";
import http from "node:http";
import postgres from "postgres";
import { prepareSupabaseSurface } from "../../../local/migrations.ts";
import { freePort } from "../../../local/ports.ts";
import type { ProjectStatus, ServiceName } from "../../../infra/supabase/api/types.ts";
import { checkJsonBody, documentedMinimum, type MatchedOperation, matchOperation } from "./api-contract.ts";
import { checkAgainstSchema } from "./schema-check.ts";
import { activateFunctions, deployFunction, type FakeFunction, functionView } from "./fake-edge-functions.ts";

/** What an operation answers: a status and an optional JSON body. */
export type Answer = { status: number; body?: unknown };

export interface FakeManagementApiOptions {
  accessToken: string;
  /** Superuser URL of a real Postgres. Without it, /database/query answers 500. */
  databaseUrl?: string;
  /** How many status reads of a new project or branch still answer COMING_UP. Default 1. */
  pollsUntilHealthy?: number;
}

export interface RecordedRequest {
  method: string;
  path: string;
  query: string;
  status: number;
  at: number;
  /** Anything but a GET or a read-only query. */
  mutating: boolean;
  /** Top-level keys of a JSON object body (values are not kept: they may be secrets). */
  bodyKeys?: string[];
}

export interface InjectedFailure {
  method: string;
  path: string | RegExp;
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
  /** How many matching requests fail; default 1. */
  times?: number;
  /** Drop the connection instead of answering (a lost answer). The request is still processed first. */
  dropAfterProcessing?: boolean;
}

export type { FakeFunction };

export interface FakeProject {
  ref: string;
  name: string;
  organizationSlug: string;
  region: string;
  createdAt: string;
  dbPassword: string;
  instanceSize?: string;
  pollsLeft: number;
  /** When set, the project never leaves this status. */
  stuckIn?: ProjectStatus;
  authConfig: Record<string, unknown>;
  postgrest: Record<string, unknown>;
  realtime: Record<string, unknown>;
  functions: Map<string, FakeFunction>;
  secrets: Map<string, { value: string; updatedAt: string }>;
  branch?: { id: string; name: string; parentRef: string; gitBranch?: string; persistent: boolean; isDefault: boolean };
  /**
   * The project's own (default) branch, once branching is enabled. Until then the project lists no branches, and the
   * first branch created becomes the default one, whatever was asked (terraform-provider-supabase#338).
   */
  defaultBranch?: { id: string; name: string; createdAt: string };
  database?: { name: string; sql: postgres.Sql };
}

/** Auth settings the API stores write-only and reads back hashed. */
const SECRET_AUTH_FIELD = /(_secret|_secrets|_pass|_auth_token|_api_key|_api_secret|_access_key)$/;

export class FakeManagementApi {
  readonly requests: RecordedRequest[] = [];
  private acceptedTokens: Set<string>;
  private readonly projects = new Map<string, FakeProject>();
  private readonly failures: (InjectedFailure & { left: number })[] = [];
  private readonly admin?: postgres.Sql;
  private holdNewProjectsIn?: ProjectStatus;
  private unhealthyServices = new Set<ServiceName>();

  private constructor(
    private readonly server: http.Server,
    readonly url: string,
    private readonly options: FakeManagementApiOptions,
  ) {
    if (options.databaseUrl) this.admin = postgres(options.databaseUrl, { max: 2, onnotice: () => undefined });
    this.acceptedTokens = new Set([options.accessToken]);
  }

  static async start(options: FakeManagementApiOptions): Promise<FakeManagementApi> {
    const port = await freePort();
    let api: FakeManagementApi | undefined;
    const server = http.createServer((request, response) => {
      void api?.handle(request, response);
    });
    await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
    api = new FakeManagementApi(server, `http://127.0.0.1:${port}`, options);
    return api;
  }

  async stop(): Promise<void> {
    for (const project of this.projects.values()) await project.database?.sql.end();
    await this.admin?.end();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  // ── test controls ───────────────────────────────────────────────────────────────────────────────────────────

  /** A project that exists before the test, e.g. to provoke a 409 on create. */
  addProject(fields: { name: string; organizationSlug: string; region?: string; status?: ProjectStatus; ref?: string }): FakeProject {
    const project = this.newProject(fields.name, fields.organizationSlug, fields.region ?? "ap-south-1", "existing-password", fields.ref);
    project.pollsLeft = 0;
    if (fields.status && fields.status !== "ACTIVE_HEALTHY") project.stuckIn = fields.status;
    return project;
  }

  project(ref: string): FakeProject {
    const project = this.projects.get(ref);
    if (!project) throw new Error(`no fake project ${ref}`);
    return project;
  }

  projectNamed(name: string): FakeProject | undefined {
    return [...this.projects.values()].find((project) => project.name === name && !project.branch);
  }

  branchNamed(name: string): FakeProject | undefined {
    return [...this.projects.values()].find((project) => project.branch?.name === name);
  }

  /** Keeps `ref` in `status`, or without `ref` every project created from now on; undefined releases. */
  holdStatus(status: ProjectStatus | undefined, ref?: string): void {
    if (ref) this.project(ref).stuckIn = status;
    else this.holdNewProjectsIn = status;
  }

  /** Every project reports these services UNHEALTHY (with an error) until released with []. */
  holdServicesUnhealthy(services: ServiceName[]): void {
    this.unhealthyServices = new Set(services);
  }

  /** The personal access tokens the API accepts from now on (a rotation: add the new one, later drop the old). */
  acceptTokens(tokens: string[]): void {
    this.acceptedTokens = new Set(tokens);
  }

  /** Superuser URL of a fake project's own database (created on first use). */
  async databaseUrl(ref: string): Promise<string> {
    const { name } = await this.databaseOf(this.project(ref));
    const url = new URL(this.options.databaseUrl as string);
    url.pathname = `/${name}`;
    return url.toString();
  }

  inject(failure: InjectedFailure): void {
    this.failures.push({ ...failure, left: failure.times ?? 1 });
  }

  /** Direct SQL on a fake project's database (created on first use). */
  async sql(ref: string): Promise<postgres.Sql> {
    return (await this.databaseOf(this.project(ref))).sql;
  }

  mutatingRequests(since = 0): RecordedRequest[] {
    return this.requests.slice(since).filter((request) => request.mutating);
  }

  // ── HTTP plumbing ───────────────────────────────────────────────────────────────────────────────────────────

  private async handle(request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
    const url = new URL(request.url ?? "/", this.url);
    const method = request.method ?? "GET";
    const raw = await readBody(request);
    const contentType = (request.headers["content-type"] ?? "").split(";")[0]?.trim() ?? "";
    let parsedJson: unknown;
    const record: RecordedRequest = { method, path: url.pathname, query: url.search, status: 0, at: Date.now(), mutating: method !== "GET" };

    const send = (status: number, body?: unknown, headers: Record<string, string> = {}) => {
      record.status = status;
      this.requests.push(record);
      const text = body === undefined ? "" : JSON.stringify(body);
      response.writeHead(status, {
        ...(text ? { "content-type": "application/json" } : {}),
        "x-ratelimit-limit": "120",
        ...headers,
      });
      response.end(text);
    };

    try {
      const bearer = /^Bearer (.+)$/.exec(request.headers.authorization ?? "")?.[1];
      if (!bearer || !this.acceptedTokens.has(bearer)) {
        return send(401, { message: "Unauthorized" });
      }
      const match = matchOperation(method, url.pathname, url.searchParams);
      if ("status" in match) return send(match.status, match.body);

      let form: FormData | undefined;
      if (match.bodySchema("multipart/form-data")) {
        if (contentType !== "multipart/form-data") return send(415, { message: "Expected multipart/form-data" });
        form = await new Request("http://fake/", { method, headers: { "content-type": String(request.headers["content-type"]) }, body: new Uint8Array(raw) }).formData();
      } else if (raw.length > 0) {
        if (contentType !== "application/json") return send(415, { message: "Expected application/json" });
        try {
          parsedJson = JSON.parse(raw.toString("utf8"));
        } catch {
          return send(400, { message: "Unexpected token in JSON body" });
        }
      }
      if (parsedJson && typeof parsedJson === "object" && !Array.isArray(parsedJson)) record.bodyKeys = Object.keys(parsedJson).sort();
      if (!form) {
        const violation = checkJsonBody(match, parsedJson);
        if (violation) return send(violation.status, violation.body);
      }
      if (match.key === "POST /v1/projects/{ref}/database/query") {
        record.mutating = (parsedJson as { read_only?: boolean }).read_only !== true;
      }

      const failure = this.takeFailure(method, url.pathname);
      if (failure && !failure.dropAfterProcessing) return send(failure.status, failure.body ?? { message: "injected failure" }, failure.headers);

      const result = await this.route(match, parsedJson, form);
      if (result.status >= 200 && result.status < 300 && !match.responses.includes(String(result.status))) {
        throw new Error(`fake answered ${result.status} to ${match.key}, which documents ${match.responses.join(", ")}`);
      }
      // The fake holds its own answers to the document too: every documented field of the right type, no other.
      const responseSchema = result.status < 300 ? match.responseSchema(result.status) : undefined;
      if (responseSchema && result.body !== undefined) {
        const problems = checkAgainstSchema(result.body, responseSchema, "response");
        if (problems.length > 0) throw new Error(`fake's answer to ${match.key} is not the documented one: ${problems.slice(0, 5).join("; ")}`);
      }
      if (failure?.dropAfterProcessing) {
        record.status = -1;
        this.requests.push(record);
        response.socket?.destroy();
        return;
      }
      send(result.status, result.body);
    } catch (error) {
      send(500, { message: `fake Management API error: ${error instanceof Error ? error.message : String(error)}` });
    }
  }

  private takeFailure(method: string, path: string): (InjectedFailure & { left: number }) | undefined {
    const failure = this.failures.find(
      (candidate) =>
        candidate.left > 0 &&
        candidate.method === method &&
        (typeof candidate.path === "string" ? candidate.path === path : candidate.path.test(path)),
    );
    if (failure) failure.left--;
    return failure;
  }

  // ── operations ──────────────────────────────────────────────────────────────────────────────────────────────

  private async route(match: MatchedOperation, body: unknown, form: FormData | undefined): Promise<Answer> {
    const { params, query } = match;
    switch (match.key) {
      case "GET /v1/projects":
        return ok([...this.projects.values()].filter((p) => !p.branch).map((p) => this.projectView(p)));
      case "POST /v1/projects":
        return this.createProject(body as Record<string, unknown>);
      case "GET /v1/projects/{ref}": {
        const project = this.projects.get(params["ref"] ?? "");
        // Branch refs answer 404 here: their status lives at /v1/branches/{ref}.
        if (!project || project.branch) return notFound("Project not found");
        this.poll(project);
        return ok({ ...this.projectView(project) });
      }
      case "PATCH /v1/projects/{ref}":
        return this.withProject(params, (project) => {
          project.name = (body as { name: string }).name;
          return ok({ id: 1, ref: project.ref, name: project.name });
        });
      case "DELETE /v1/projects/{ref}":
        return this.withProject(params, async (project) => {
          await this.dropProject(project);
          return ok({ id: 1, ref: project.ref, name: project.name });
        });
      case "PATCH /v1/projects/{ref}/database/password":
        return this.withProject(params, (project) => {
          project.dbPassword = (body as { password: string }).password;
          return ok({ message: "ok" });
        });
      case "GET /v1/projects/{ref}/health": {
        const project = this.projects.get(params["ref"] ?? "");
        if (!project) return notFound("Project not found");
        const up = this.statusOf(project) === "ACTIVE_HEALTHY";
        return ok(
          (query["services"] as ServiceName[]).map((name) => {
            if (!up) return { name, healthy: false, status: "COMING_UP" };
            if (this.unhealthyServices.has(name)) return { name, healthy: false, status: "UNHEALTHY", error: `${name} is failing its checks` };
            return { name, healthy: true, status: "ACTIVE_HEALTHY" };
          }),
        );
      }
      case "GET /v1/projects/{ref}/config/auth":
        return this.withTarget(params, (project) => ok(hashSecretAuthFields(project.authConfig)));
      case "PATCH /v1/projects/{ref}/config/auth":
        return this.withTarget(params, (project) => {
          Object.assign(project.authConfig, body);
          return ok(hashSecretAuthFields(project.authConfig));
        });
      case "GET /v1/projects/{ref}/postgrest":
        return this.withTarget(params, (project) => ok(project.postgrest));
      case "PATCH /v1/projects/{ref}/postgrest":
        return this.withTarget(params, (project) => {
          Object.assign(project.postgrest, body);
          return ok(project.postgrest);
        });
      case "GET /v1/projects/{ref}/config/realtime":
        return this.withTarget(params, (project) => ok(project.realtime));
      case "PATCH /v1/projects/{ref}/config/realtime":
        return this.withTarget(params, (project) => {
          Object.assign(project.realtime, body);
          return { status: 204, body: undefined };
        });
      case "POST /v1/projects/{ref}/database/query":
        return this.withTarget(params, (project) => this.runQuery(project, body as { query: string; read_only?: boolean; parameters?: unknown[] }));
      case "POST /v1/projects/{ref}/functions/deploy":
        return this.withTarget(params, (project) =>
          deployFunction(project, query, form as FormData, match.bodySchema("multipart/form-data")?.properties?.["metadata"] ?? {}),
        );
      case "GET /v1/projects/{ref}/functions":
        return this.withTarget(params, (project) =>
          ok([...project.functions.values()].filter((fn) => fn.activeVersion !== undefined).map(functionView)),
        );
      case "PUT /v1/projects/{ref}/functions":
        return this.withTarget(params, (project) => activateFunctions(project, body as Record<string, unknown>[]));
      case "GET /v1/projects/{ref}/functions/{function_slug}":
        return this.withTarget(params, (project) => {
          const fn = project.functions.get(params["function_slug"] ?? "");
          return fn?.activeVersion !== undefined ? ok(functionView(fn)) : notFound("Function not found");
        });
      case "DELETE /v1/projects/{ref}/functions/{function_slug}":
        return this.withTarget(params, (project) =>
          project.functions.delete(params["function_slug"] ?? "") ? { status: 200, body: undefined } : notFound("Function not found"),
        );
      case "GET /v1/projects/{ref}/secrets":
        return this.withTarget(params, (project) =>
          ok([...project.secrets].map(([name, secret]) => ({ name, value: sha256(secret.value), updated_at: secret.updatedAt }))),
        );
      case "POST /v1/projects/{ref}/secrets":
        return this.withTarget(params, (project) => {
          for (const { name, value } of body as { name: string; value: string }[]) {
            project.secrets.set(name, { value, updatedAt: new Date().toISOString() });
          }
          return { status: 201, body: undefined };
        });
      case "DELETE /v1/projects/{ref}/secrets":
        return this.withTarget(params, (project) => {
          for (const name of body as string[]) project.secrets.delete(name);
          return { status: 200, body: undefined };
        });
      case "POST /v1/projects/{ref}/branches":
        return this.withProject(params, (parent) => this.createBranch(parent, body as Record<string, unknown>));
      case "GET /v1/projects/{ref}/branches":
        return this.withProject(params, (parent) => ok(this.branchViewsOf(parent)));
      case "GET /v1/projects/{ref}/branches/{name}":
        return this.withProject(params, (parent) => {
          const branch = this.branchViewsOf(parent).find((candidate) => candidate["name"] === params["name"]);
          return branch ? ok(branch) : notFound("Branch not found");
        });
      case "GET /v1/branches/{branch_id_or_ref}":
        return this.withBranch(params, (branch) => {
          this.poll(branch);
          return ok({
            ref: branch.ref,
            postgres_version: "17.4",
            postgres_engine: "17",
            release_channel: "ga",
            status: this.statusOf(branch),
            db_host: `db.${branch.ref}.supabase.co`,
            db_port: 5432,
            db_user: "postgres",
            db_pass: branch.dbPassword,
            jwt_secret: "fake-jwt-secret",
          });
        });
      case "PATCH /v1/branches/{branch_id_or_ref}":
        return this.withBranch(params, (branch) => {
          const patch = body as { branch_name?: string; git_branch?: string; persistent?: boolean };
          const info = branch.branch as NonNullable<FakeProject["branch"]>;
          if (patch.branch_name !== undefined) info.name = patch.branch_name;
          if (patch.git_branch !== undefined) info.gitBranch = patch.git_branch;
          if (patch.persistent !== undefined) info.persistent = patch.persistent;
          return ok(branchView(branch));
        });
      case "DELETE /v1/branches/{branch_id_or_ref}":
        return this.withBranch(params, async (branch) => {
          if (branch.branch?.persistent) return { status: 422, body: { message: "Persistent branches cannot be deleted" } };
          await this.dropProject(branch);
          return ok({ message: "ok" });
        });
      default:
        return { status: 501, body: { message: `fake does not implement ${match.key}` } };
    }
  }

  private createProject(body: Record<string, unknown>): Answer {
    const name = String(body["name"]);
    const organizationSlug = String(body["organization_slug"]);
    const duplicate = [...this.projects.values()].some((p) => !p.branch && p.name === name && p.organizationSlug === organizationSlug);
    if (duplicate) return { status: 409, body: { message: `Project with name ${name} already exists in this organization` } };
    const region = (body["region_selection"] as { code?: string } | undefined)?.code ?? String(body["region"] ?? "us-east-1");
    const project = this.newProject(name, organizationSlug, region, String(body["db_pass"]));
    if (typeof body["desired_instance_size"] === "string") project.instanceSize = body["desired_instance_size"];
    const view = this.projectView(project);
    delete (view as Record<string, unknown>)["database"];
    return { status: 201, body: view };
  }

  private createBranch(parent: FakeProject, body: Record<string, unknown>): Answer {
    const name = String(body["branch_name"]);
    if (this.branchViewsOf(parent).some((branch) => branch["name"] === name)) {
      return { status: 409, body: { message: `Branch with name ${name} already exists` } };
    }
    if (body["is_default"] === true || !parent.defaultBranch) {
      if (parent.defaultBranch) return { status: 409, body: { message: "This project already has a default branch" } };
      // The default branch is the project itself: no new database.
      parent.defaultBranch = { id: randomUUID(), name, createdAt: new Date().toISOString() };
      return { status: 201, body: this.defaultBranchView(parent) };
    }
    const branch = this.newProject(`${parent.name}-${name}`, parent.organizationSlug, parent.region, "branch-password");
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

  private newProject(name: string, organizationSlug: string, region: string, dbPassword: string, ref = randomRef()): FakeProject {
    if (this.projects.has(ref)) throw new Error(`fake project ${ref} exists already`);
    const project: FakeProject = {
      ref,
      name,
      organizationSlug,
      region,
      createdAt: new Date().toISOString(),
      dbPassword,
      pollsLeft: this.options.pollsUntilHealthy ?? 1,
      ...(this.holdNewProjectsIn ? { stuckIn: this.holdNewProjectsIn } : {}),
      // Every field the documented answers carry, then the values a new project has for the ones we look at.
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
      functions: new Map(),
      secrets: new Map(),
    };
    this.projects.set(project.ref, project);
    return project;
  }

  private async dropProject(project: FakeProject): Promise<void> {
    this.projects.delete(project.ref);
    if (project.database) {
      await project.database.sql.end();
      await this.admin?.unsafe(`drop database if exists "${project.database.name}" with (force)`);
    }
  }

  private poll(project: FakeProject): void {
    if (project.pollsLeft > 0) project.pollsLeft--;
  }

  private statusOf(project: FakeProject): ProjectStatus {
    if (project.stuckIn) return project.stuckIn;
    return project.pollsLeft > 0 ? "COMING_UP" : "ACTIVE_HEALTHY";
  }

  private projectView(project: FakeProject): Record<string, unknown> {
    return {
      id: project.ref,
      ref: project.ref,
      organization_id: project.organizationSlug,
      organization_slug: project.organizationSlug,
      name: project.name,
      region: project.region,
      created_at: project.createdAt,
      status: this.statusOf(project),
      database: { host: `db.${project.ref}.supabase.co`, version: "17.4", postgres_engine: "17", release_channel: "ga" },
    };
  }

  private branchViewsOf(parent: FakeProject): Record<string, unknown>[] {
    const previews = this.branchesOf(parent).map((branch) => branchView(branch));
    return parent.defaultBranch ? [this.defaultBranchView(parent), ...previews] : previews;
  }

  private defaultBranchView(parent: FakeProject): Record<string, unknown> {
    const info = parent.defaultBranch as NonNullable<FakeProject["defaultBranch"]>;
    return {
      id: info.id,
      name: info.name,
      project_ref: parent.ref,
      parent_project_ref: parent.ref,
      is_default: true,
      persistent: true,
      status: "FUNCTIONS_DEPLOYED",
      created_at: info.createdAt,
      updated_at: info.createdAt,
      with_data: false,
    };
  }

  private branchesOf(parent: FakeProject): FakeProject[] {
    return [...this.projects.values()].filter((project) => project.branch?.parentRef === parent.ref);
  }

  private async withProject(
    params: Record<string, string>,
    handler: (project: FakeProject) => Answer | Promise<Answer>,
  ): Promise<Answer> {
    const project = this.projects.get(params["ref"] ?? "");
    return project && !project.branch ? handler(project) : notFound("Project not found");
  }

  /** Config, query, function and secret endpoints take project and branch refs alike. */
  private async withTarget(
    params: Record<string, string>,
    handler: (project: FakeProject) => Answer | Promise<Answer>,
  ): Promise<Answer> {
    const project = this.projects.get(params["ref"] ?? "");
    if (!project) return notFound("Project not found");
    if (this.statusOf(project) !== "ACTIVE_HEALTHY") return { status: 400, body: { message: "Project Not Ready" } };
    return handler(project);
  }

  private async withBranch(
    params: Record<string, string>,
    handler: (branch: FakeProject) => Answer | Promise<Answer>,
  ): Promise<Answer> {
    const branch = this.projects.get(params["branch_id_or_ref"] ?? "");
    return branch?.branch ? handler(branch) : notFound("Branch not found");
  }

  private async databaseOf(project: FakeProject): Promise<{ name: string; sql: postgres.Sql }> {
    if (project.database) return project.database;
    if (!this.admin || !this.options.databaseUrl) throw new Error("this fake was started without a databaseUrl");
    const name = `project_${project.ref}`;
    await this.admin.unsafe(`create database "${name}"`);
    const url = new URL(this.options.databaseUrl);
    url.pathname = `/${name}`;
    const sql = postgres(url.toString(), { max: 1, onnotice: () => undefined });
    await prepareSupabaseSurface(sql);
    project.database = { name, sql };
    return project.database;
  }

  private async runQuery(project: FakeProject, body: { query: string; read_only?: boolean; parameters?: unknown[] }): Promise<Answer> {
    const { sql } = await this.databaseOf(project);
    try {
      const run = (tx: postgres.Sql | postgres.TransactionSql) =>
        body.parameters?.length
          ? tx.unsafe(body.query, body.parameters as postgres.ParameterOrJSON<never>[])
          : tx.unsafe(body.query).simple();
      const result: unknown = body.read_only ? await sql.begin("read only", (tx) => run(tx)) : await run(sql);
      // Several statements give one result each; like the API, answer with the last one's rows.
      const rows = Array.isArray(result) && result.length > 0 && result.every(Array.isArray) ? result[result.length - 1] : result;
      return { status: 201, body: [...(rows as Record<string, unknown>[])] };
    } catch (error) {
      const pgError = error as Error & { code?: string };
      return { status: 400, body: { message: `Failed to run sql query: ERROR:  ${pgError.code ?? "XX000"}: ${pgError.message}` } };
    }
  }
}

// ── helpers ───────────────────────────────────────────────────────────────────────────────────────────────────

function branchView(branch: FakeProject): Record<string, unknown> {
  const info = branch.branch as NonNullable<FakeProject["branch"]>;
  return {
    id: info.id,
    name: info.name,
    project_ref: branch.ref,
    parent_project_ref: info.parentRef,
    is_default: info.isDefault,
    ...(info.gitBranch ? { git_branch: info.gitBranch } : {}),
    persistent: info.persistent,
    status: "FUNCTIONS_DEPLOYED",
    created_at: branch.createdAt,
    updated_at: branch.createdAt,
    with_data: false,
  };
}

function hashSecretAuthFields(config: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(config).map(([key, value]) => [key, SECRET_AUTH_FIELD.test(key) && typeof value === "string" ? sha256(value) : value]),
  );
}

function ok(body: unknown): Answer {
  return { status: 200, body };
}

function notFound(message: string): Answer {
  return { status: 404, body: { message } };
}

function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

function randomRef(): string {
  let ref = "";
  for (let i = 0; i < 20; i++) ref += String.fromCharCode(97 + Math.floor(Math.random() * 26));
  return ref;
}

function readBody(request: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => resolve(Buffer.concat(chunks)));
    request.on("error", reject);
  });
}
