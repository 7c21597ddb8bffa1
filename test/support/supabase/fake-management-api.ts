// A local stand-in for the Supabase Management API, for tests. It answers only the operations of the pinned
// OpenAPI subset, checks bearer auth, parameters and bodies against it (unknown fields are refused, as the API
// does), answers with the documented success statuses, and runs POST /database/query on a real Postgres: one
// database per fake project. Projects and branches come up after a configurable number of polls; failures
// (429 with Retry-After, 500…) can be injected per endpoint; every request is recorded for assertions.
// This module is the entry point and the router; each API surface lives in its own fake-*.ts module.
import http from "node:http";
import type postgres from "postgres";
import { freePort } from "../../../local/ports.ts";
import type { ProjectStatus, ServiceName } from "../../../infra/supabase/api/types.ts";
import { checkJsonBody, matchOperation } from "./api-contract.ts";
import { branchOperations } from "./fake-branches.ts";
import { databaseOperations, FakeDatabases } from "./fake-database.ts";
import { type FakeFunction, functionOperations } from "./fake-edge-functions.ts";
import { type InjectedFailure, InjectedFailures } from "./fake-failures.ts";
import type { Answer, OperationCall, Operations } from "./fake-operations.ts";
import { type FakeProject, FakeProjectStore } from "./fake-project-store.ts";
import { projectOperations } from "./fake-projects.ts";
import { checkAnswer, parseBody, readBody } from "./fake-request-contract.ts";
import { secretOperations } from "./fake-secrets.ts";
import { serviceConfigOperations } from "./fake-service-config.ts";

export type { Answer, FakeFunction, FakeProject, InjectedFailure };

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

export class FakeManagementApi {
  readonly requests: RecordedRequest[] = [];
  private acceptedTokens: Set<string>;
  private readonly failures = new InjectedFailures();
  private readonly databases: FakeDatabases;
  private readonly store: FakeProjectStore;
  private readonly operations: Map<string, Operations[string]>;

  private constructor(
    private readonly server: http.Server,
    readonly url: string,
    options: FakeManagementApiOptions,
  ) {
    this.databases = new FakeDatabases(options.databaseUrl);
    this.store = new FakeProjectStore(options.pollsUntilHealthy ?? 1, this.databases);
    this.acceptedTokens = new Set([options.accessToken]);
    this.operations = new Map(
      Object.entries({
        ...projectOperations(this.store),
        ...branchOperations(this.store),
        ...serviceConfigOperations(this.store),
        ...databaseOperations(this.store, this.databases),
        ...functionOperations(this.store),
        ...secretOperations(this.store),
      }),
    );
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
    await this.databases.close(this.store.all());
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  // ── test controls ───────────────────────────────────────────────────────────────────────────────────────────

  /** A project that exists before the test, e.g. to provoke a 409 on create. */
  addProject(fields: { name: string; organizationSlug: string; region?: string; status?: ProjectStatus; ref?: string }): FakeProject {
    const project = this.store.create(fields.name, fields.organizationSlug, fields.region ?? "ap-south-1", "existing-password", fields.ref);
    project.pollsLeft = 0;
    if (fields.status && fields.status !== "ACTIVE_HEALTHY") project.stuckIn = fields.status;
    return project;
  }

  project(ref: string): FakeProject {
    const project = this.store.get(ref);
    if (!project) throw new Error(`no fake project ${ref}`);
    return project;
  }

  projectNamed(name: string): FakeProject | undefined {
    return this.store.topLevel().find((project) => project.name === name);
  }

  branchNamed(name: string): FakeProject | undefined {
    return this.store.all().find((project) => project.branch?.name === name);
  }

  /** Keeps `ref` in `status`, or without `ref` every project created from now on; undefined releases. */
  holdStatus(status: ProjectStatus | undefined, ref?: string): void {
    if (ref) this.project(ref).stuckIn = status;
    else this.store.holdNewProjectsIn = status;
  }

  /** Every project reports these services UNHEALTHY (with an error) until released with []. */
  holdServicesUnhealthy(services: ServiceName[]): void {
    this.store.unhealthyServices = new Set(services);
  }

  /** The personal access tokens the API accepts from now on (a rotation: add the new one, later drop the old). */
  acceptTokens(tokens: string[]): void {
    this.acceptedTokens = new Set(tokens);
  }

  /** Superuser URL of a fake project's own database (created on first use). */
  async databaseUrl(ref: string): Promise<string> {
    return this.databases.url(this.project(ref));
  }

  inject(failure: InjectedFailure): void {
    this.failures.add(failure);
  }

  /** Direct SQL on a fake project's database (created on first use). */
  async sql(ref: string): Promise<postgres.Sql> {
    return (await this.databases.of(this.project(ref))).sql;
  }

  mutatingRequests(since = 0): RecordedRequest[] {
    return this.requests.slice(since).filter((request) => request.mutating);
  }

  // ── HTTP plumbing ───────────────────────────────────────────────────────────────────────────────────────────

  private async handle(request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
    const url = new URL(request.url ?? "/", this.url);
    const method = request.method ?? "GET";
    const raw = await readBody(request);
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

      const parsed = await parseBody(match, method, request.headers["content-type"], raw);
      if ("status" in parsed) return send(parsed.status, parsed.body);
      const { json, form } = parsed;
      if (json && typeof json === "object" && !Array.isArray(json)) record.bodyKeys = Object.keys(json).sort();
      if (!form) {
        const violation = checkJsonBody(match, json);
        if (violation) return send(violation.status, violation.body);
      }
      if (match.key === "POST /v1/projects/{ref}/database/query") {
        record.mutating = (json as { read_only?: boolean }).read_only !== true;
      }

      const failure = this.failures.take(method, url.pathname);
      if (failure && !failure.dropAfterProcessing) return send(failure.status, failure.body ?? { message: "injected failure" }, failure.headers);

      const result = await this.route({ ...match, body: json, form });
      checkAnswer(match, result);
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

  private async route(call: OperationCall): Promise<Answer> {
    const operation = this.operations.get(call.key);
    if (!operation) return { status: 501, body: { message: `fake does not implement ${call.key}` } };
    return operation(call);
  }
}
