// The serving side of the fake's edge functions: what https://<ref>.supabase.co/functions/v1/<slug>/... is on
// Supabase. It serves, for each project or branch of a FakeManagementApi, the function versions that were uploaded
// and activated through the Management API (the files as uploaded, under real Deno, one process per function as
// the local stack runs them), with the project's database and its function secrets in their environment. A newly
// activated version replaces the running one on the next request. Projects live under /<ref>, so a stack configured
// with supabaseProjectUrl=<url>/{ref} is smoke-tested against what it really deployed. A slug with no active version
// answers what Supabase's gateway answers (404 "Requested function was not found"); a function deployed with
// verify_jwt refuses a request without an Authorization header (401).
import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { FunctionWorker } from "../../../local/functions.ts";
import { freePort } from "../../../local/ports.ts";
import type { FakeManagementApi } from "./fake-management-api.ts";

interface Running {
  version: number;
  worker: FunctionWorker;
}

export class FakeEdgeRuntime {
  private readonly running = new Map<string, Running>();
  private readonly starting = new Map<string, Promise<Running>>();

  private constructor(
    private readonly api: FakeManagementApi,
    private readonly server: http.Server,
    private readonly dir: string,
    private readonly nodeModules: string,
    readonly url: string,
  ) {}

  /** `nodeModules`: where the functions' npm: imports resolve (deno.json's nodeModulesDir is manual). */
  static async start(api: FakeManagementApi, nodeModules: string): Promise<FakeEdgeRuntime> {
    const dir = await mkdtemp(path.join(os.tmpdir(), "love-fake-edge-"));
    const port = await freePort();
    let runtime: FakeEdgeRuntime | undefined;
    const server = http.createServer((request, response) => {
      void runtime?.handle(request, response);
    });
    await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
    runtime = new FakeEdgeRuntime(api, server, dir, nodeModules, `http://127.0.0.1:${port}`);
    return runtime;
  }

  /** The supabaseProjectUrl template of a stack served here. */
  get projectUrlTemplate(): string {
    return `${this.url}/{ref}`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    await Promise.all([...this.running.values()].map((running) => running.worker.stop()));
    this.running.clear();
    await rm(this.dir, { recursive: true, force: true });
  }

  private async handle(request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
    const url = new URL(request.url ?? "/", this.url);
    const match = /^\/([a-z]{20})\/functions\/v1\/([^/]+)(\/.*)?$/.exec(url.pathname);
    const fail = (status: number, message: string): void => {
      response.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify({ message }));
    };
    if (!match) return fail(404, "Not found");
    const [, ref, slug, rest] = match as unknown as [string, string, string, string | undefined];
    let running: Running;
    try {
      const found = this.activeVersion(ref, slug);
      if (!found) {
        response.writeHead(404, { "content-type": "application/json" }).end(JSON.stringify({ code: "NOT_FOUND", message: "Requested function was not found" }));
        return;
      }
      if (found.verifyJwt && !request.headers.authorization) return fail(401, "Missing authorization header");
      running = await this.ensureRunning(ref, slug, found);
    } catch (error) {
      return fail(503, `BOOT_ERROR: ${(error as Error).message}`);
    }
    let port: number;
    try {
      port = await running.worker.ensureReady();
    } catch (error) {
      return fail(503, `BOOT_ERROR: ${(error as Error).message}`);
    }
    const forward = http.request(
      { host: "127.0.0.1", port, method: request.method, path: `/${slug}${rest ?? ""}${url.search}`, headers: request.headers },
      (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(response);
      },
    );
    forward.on("error", (error) => {
      if (!response.headersSent) fail(502, `function ${slug} failed: ${error.message}`);
      else response.destroy();
    });
    request.pipe(forward);
  }

  private activeVersion(
    ref: string,
    slug: string,
  ): { version: number; files: Map<string, string>; entrypoint: string; importMap?: string; verifyJwt: boolean } | undefined {
    let project;
    try {
      project = this.api.project(ref);
    } catch {
      return undefined;
    }
    const fn = project.functions.get(slug);
    const files = fn?.activeVersion === undefined ? undefined : fn.bundles.get(fn.activeVersion);
    if (!fn || fn.activeVersion === undefined || !files) return undefined;
    return {
      version: fn.activeVersion,
      files,
      entrypoint: fn.entrypointPath,
      verifyJwt: fn.verifyJwt,
      ...(fn.importMapPath ? { importMap: fn.importMapPath } : {}),
    };
  }

  private async ensureRunning(
    ref: string,
    slug: string,
    active: { version: number; files: Map<string, string>; entrypoint: string; importMap?: string },
  ): Promise<Running> {
    const key = `${ref}/${slug}`;
    const current = this.running.get(key);
    if (current?.version === active.version) return current;
    const pending = this.starting.get(`${key}@${active.version}`);
    if (pending) return pending;
    const start = (async () => {
      // A new version was activated: the old one stops serving, as an isolate of the previous deploy would.
      if (current) await current.worker.stop();
      const root = path.join(this.dir, ref, slug, `v${active.version}`);
      for (const [file, text] of active.files) {
        await mkdir(path.dirname(path.join(root, file)), { recursive: true });
        await writeFile(path.join(root, file), text);
      }
      await symlink(this.nodeModules, path.join(root, "node_modules"), "dir").catch(() => undefined);
      // A function uploaded without an import map (as the CLI deploys a single file) runs with an empty config.
      if (!active.importMap) await writeFile(path.join(root, "deno.json"), "{}\n");
      const secrets = Object.fromEntries([...this.api.project(ref).secrets].map(([name, secret]) => [name, secret.value]));
      const worker = new FunctionWorker({
        slug,
        entrypoint: path.join(root, active.entrypoint),
        configFile: path.join(root, active.importMap ?? "deno.json"),
        env: {
          ...secrets,
          SUPABASE_URL: `${this.url}/${ref}`,
          SUPABASE_DB_URL: await this.api.databaseUrl(ref),
          // The per-client rate limit would count the test's few requests against one address: off, as in suites.
          LOVE_RATE_LIMIT_PER_MINUTE: "0",
        },
      });
      const running = { version: active.version, worker };
      this.running.set(key, running);
      return running;
    })().finally(() => this.starting.delete(`${key}@${active.version}`));
    this.starting.set(`${key}@${active.version}`, start);
    return start;
  }
}
