// The function URLs of fake projects: `<host>/<ref>/functions/v1/<slug>/...` stands for
// `https://<ref>.supabase.co/functions/v1/<slug>/...`. Each request runs the version the fake Management API has
// active for that function, as uploaded (its files written out as sent), in its own Deno process, with what
// Supabase gives a function: SUPABASE_URL, SUPABASE_DB_URL (the fake project's own database) and the project's
// secrets. A slug with no active version answers 404 as Supabase's gateway does; a function deployed with
// verify_jwt refuses a request without an Authorization header with 401.
import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { FunctionWorker } from "../../../local/functions.ts";
import { freePort } from "../../../local/ports.ts";
import type { FakeManagementApi } from "./fake-management-api.ts";

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");

export class FakeFunctionsHost {
  private readonly workers = new Map<string, FunctionWorker>();
  private readonly agent = new http.Agent({ keepAlive: false });

  private constructor(
    private readonly api: FakeManagementApi,
    private readonly server: http.Server,
    private readonly dir: string,
    readonly url: string,
  ) {}

  static async start(api: FakeManagementApi): Promise<FakeFunctionsHost> {
    const dir = await mkdtemp(path.join(os.tmpdir(), "love-fake-functions-"));
    const port = await freePort();
    let host: FakeFunctionsHost | undefined;
    const server = http.createServer((request, response) => {
      void host?.handle(request, response);
    });
    await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
    host = new FakeFunctionsHost(api, server, dir, `http://127.0.0.1:${port}`);
    return host;
  }

  /** What `https://<ref>.supabase.co/functions/v1` is here. */
  functionsUrl(ref: string): string {
    return `${this.url}/${ref}/functions/v1`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    await Promise.all([...this.workers.values()].map((worker) => worker.stop()));
    this.agent.destroy();
    await rm(this.dir, { recursive: true, force: true });
  }

  private async handle(request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
    const url = new URL(request.url ?? "/", this.url);
    const match = /^\/([a-z]{20})\/functions\/v1\/([^/]+)(\/.*)?$/.exec(url.pathname);
    const answer = (status: number, body: unknown): void => {
      response.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
    };
    try {
      const [, ref, slug, rest] = match ?? [];
      let project;
      try {
        project = ref ? this.api.project(ref) : undefined;
      } catch {
        project = undefined;
      }
      const fn = slug ? project?.functions.get(slug) : undefined;
      const version = fn?.activeVersion;
      if (!project || !fn || version === undefined) return answer(404, { code: "NOT_FOUND", message: "Requested function was not found" });
      if (fn.verifyJwt && !request.headers.authorization) return answer(401, { code: 401, message: "Missing authorization header" });

      const worker = await this.workerFor(project.ref, fn.slug, fn.id, version);
      const port = await worker.ensureReady();
      const forwarded = http.request(
        {
          host: "127.0.0.1",
          port,
          method: request.method,
          path: `/${fn.slug}${rest ?? ""}${url.search}`,
          headers: { ...request.headers, host: `${project.ref}.supabase.co` },
          agent: this.agent,
        },
        (upstream) => {
          response.writeHead(upstream.statusCode ?? 502, upstream.headers);
          upstream.pipe(response);
        },
      );
      forwarded.on("error", (error) => {
        if (!response.headersSent) answer(502, { message: `function ${fn.slug} failed: ${error.message}` });
        else response.destroy();
      });
      request.pipe(forwarded);
    } catch (error) {
      if (!response.headersSent) answer(503, { code: "BOOT_ERROR", message: error instanceof Error ? error.message : String(error) });
    }
  }

  /** One Deno process per function version, started on its first request. */
  private async workerFor(ref: string, slug: string, id: string, version: number): Promise<FunctionWorker> {
    const key = `${ref}/${id}/${version}`;
    const existing = this.workers.get(key);
    if (existing) return existing;
    const project = this.api.project(ref);
    const fn = project.functions.get(slug);
    const files = fn?.bundles.get(version);
    if (!fn || !files) throw new Error(`function ${slug} has no version ${version}`);
    const root = path.join(this.dir, ref, `${slug}-${version}`);
    for (const [file, text] of files) {
      await mkdir(path.dirname(path.join(root, file)), { recursive: true });
      await writeFile(path.join(root, file), text);
    }
    // Supabase resolves npm: imports when it bundles; here the checkout's node_modules (what the upload's deno.json
    // was written against) stands in for that.
    await symlink(path.join(REPO_ROOT, "node_modules"), path.join(root, "node_modules"), "dir");
    const configFile = path.join(root, fn.importMapPath ?? "deno.json");
    if (!fn.importMapPath) await writeFile(configFile, "{}\n");
    const secrets = Object.fromEntries([...project.secrets].map(([name, secret]) => [name, secret.value]));
    const worker = new FunctionWorker({
      slug,
      entrypoint: path.join(root, fn.entrypointPath),
      configFile,
      env: { ...secrets, SUPABASE_URL: `https://${ref}.supabase.co`, SUPABASE_DB_URL: await this.api.databaseUrl(ref) },
    });
    this.workers.set(key, worker);
    return worker;
  }
}
