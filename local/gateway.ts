// The local stand-in for the Supabase gateway plus the frontend host's rewrite: routes each request to the edge
// function it names, forwards it (streaming, so SSE works), and counts every response for /metrics.
import http from "node:http";
import type { FunctionWorker } from "./functions.ts";
import type { ContractMetrics } from "../monitoring/contract-metrics.ts";
import { upstreamHeaders } from "./forwarding.ts";

export interface GatewayOptions {
  host: string;
  port: number;
  workers: Map<string, FunctionWorker>;
  metrics: ContractMetrics;
  /** Time a function has to start its response before the gateway answers 504, as Supabase's idle timeout. */
  responseTimeoutMs: number;
  onLog?: (line: string) => void;
}

export interface Target {
  slug: string;
  /** The path the function sees: `/<slug>/<action...>`, as on Supabase. */
  path: string;
}

/** Maps the three URL forms to a function: /functions/v1/<slug>/*, /api/v1/<group>/* and /admin/login. */
export function resolveTarget(pathname: string): Target | undefined {
  const supabase = /^\/functions\/v1\/([^/]+)(\/.*)?$/.exec(pathname);
  if (supabase) return { slug: supabase[1]!, path: `/${supabase[1]}${supabase[2] ?? ""}` };
  const frontend = /^\/api\/v1\/([^/]+)(\/.*)?$/.exec(pathname);
  if (frontend) return { slug: frontend[1]!, path: `/${frontend[1]}${frontend[2] ?? ""}` };
  if (pathname === "/admin/login") return { slug: "admin", path: "/admin/login" };
  return undefined;
}

export class Gateway {
  readonly metrics: ContractMetrics;
  // Kept-alive connections to the functions: a new TCP connection per request costs more than the request.
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  private readonly server: http.Server;
  private readonly sockets = new Set<import("node:net").Socket>();

  constructor(private readonly options: GatewayOptions) {
    this.metrics = options.metrics;
    this.server = http.createServer((request, response) => this.handle(request, response));
    this.server.on("connection", (socket) => {
      this.sockets.add(socket);
      socket.once("close", () => this.sockets.delete(socket));
    });
  }

  listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen({ host: this.options.host, port: this.options.port, exclusive: true }, () => {
        this.server.off("error", reject);
        resolve();
      });
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      // Open SSE streams would otherwise keep the server alive.
      for (const socket of this.sockets) socket.destroy();
      this.agent.destroy();
    });
  }

  private async handle(request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
    const started = process.hrtime.bigint();
    const url = new URL(request.url ?? "/", "http://gateway.local");
    const method = request.method ?? "GET";

    if (url.pathname === "/metrics" && method === "GET") {
      const text = await this.metrics.text();
      response.writeHead(200, { "Content-Type": this.metrics.contentType }).end(text);
      return;
    }

    const target = resolveTarget(url.pathname);
    const worker = target && this.options.workers.get(target.slug);
    const fn = worker ? target.slug : "gateway";
    const action = target && worker ? target.path.slice(target.slug.length + 1) : "/:unmatched";
    response.once("close", () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      // A response cut off before its headers went out reached the client as a failed request.
      const status = response.headersSent ? response.statusCode : 502;
      this.metrics.observe(fn, action, method, status, seconds);
    });

    if (!target || !worker) {
      request.resume();
      const error = target ? `Function not found: ${target.slug}` : `Not found: ${method} ${url.pathname}`;
      sendEnvelope(response, 404, { success: false, error });
      return;
    }

    let body: Buffer;
    try {
      body = await readBody(request, MAX_BODY_BYTES);
    } catch {
      sendEnvelope(response, 413, { success: false, error: `Request body larger than ${MAX_BODY_BYTES} bytes` });
      return;
    }
    // A worker that died since its last request may not have been reaped yet: one retry finds a fresh process.
    for (let attempt = 1; ; attempt++) {
      let port: number;
      try {
        port = await worker.ensureReady();
      } catch (error) {
        this.options.onLog?.(`[gateway] ${target.slug}: ${(error as Error).message.split("\n")[0]}`);
        sendEnvelope(response, 503, { success: false, error: "Function failed to boot", code: "BOOT_ERROR" });
        return;
      }
      const outcome = await this.forward(request, response, worker, port, `${target.path}${url.search}`, body);
      if (outcome !== "refused" || attempt === 2) {
        if (outcome === "refused") {
          sendEnvelope(response, 502, { success: false, error: "Function failed to respond", code: "UPSTREAM_ERROR" });
        }
        return;
      }
      await worker.stop();
    }
  }

  /** Sends the request to the function and streams its answer back; "refused" when it could not connect at all. */
  private forward(
    request: http.IncomingMessage,
    response: http.ServerResponse,
    worker: FunctionWorker,
    port: number,
    path: string,
    body: Buffer,
  ): Promise<"done" | "refused"> {
    return new Promise((resolve) => {
      // As Supabase's edge does: the connecting address in CF-Connecting-IP (the client's own value replaced).
      const headers = upstreamHeaders({
        headers: request.headers,
        remoteAddress: request.socket.remoteAddress,
        host: request.headers.host,
        bodyLength: body.length,
      }, `127.0.0.1:${port}`);
      const upstream = http.request({ host: "127.0.0.1", port, path, method: request.method, headers, agent: this.agent });
      const timer = setTimeout(() => {
        upstream.destroy(new Error("timeout"));
        sendEnvelope(response, 504, { success: false, error: "Function timed out", code: "TIMEOUT" });
        resolve("done");
      }, this.options.responseTimeoutMs);

      upstream.on("response", (upstreamResponse) => {
        clearTimeout(timer);
        response.writeHead(upstreamResponse.statusCode ?? 502, upstreamResponse.headers);
        response.flushHeaders();
        upstreamResponse.pipe(response);
        upstreamResponse.once("error", () => response.destroy());
        upstreamResponse.once("close", () => resolve("done"));
      });
      upstream.on("error", (error: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        // Refused: the process is gone, nothing reached a function. A kept-alive socket reset before any answer
        // may be a socket the function had already closed: a GET (idempotent) is then tried once more.
        const staleSocket = upstream.reusedSocket && error.code === "ECONNRESET" && IDEMPOTENT.has(request.method ?? "");
        if (error.code === "ECONNREFUSED" || staleSocket) {
          resolve("refused");
          return;
        }
        // The function died mid-request (crash, OOM). Let its exit be seen before answering, so the client's
        // next request already finds the worker to be restarted.
        void worker.settle(SETTLE_AFTER_ERROR_MS).then(() => {
          sendEnvelope(response, 502, { success: false, error: "Function failed to respond", code: "UPSTREAM_ERROR" });
          resolve("done");
        });
      });
      // Client gone (e.g. an SSE reader closed the tab): tell the function so its timers stop.
      response.once("close", () => {
        clearTimeout(timer);
        if (!upstream.destroyed) upstream.destroy();
        resolve("done");
      });
      upstream.end(body);
    });
  }
}

const MAX_BODY_BYTES = 6 * 1024 * 1024;
const IDEMPOTENT = new Set(["GET", "HEAD", "OPTIONS"]);
const SETTLE_AFTER_ERROR_MS = 300;

function readBody(request: http.IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        request.destroy();
        reject(new Error("too large"));
      } else {
        chunks.push(chunk);
      }
    });
    request.once("end", () => resolve(Buffer.concat(chunks)));
    request.once("error", reject);
  });
}

function sendEnvelope(response: http.ServerResponse, status: number, body: Record<string, unknown>): void {
  if (response.headersSent) {
    response.destroy();
    return;
  }
  response
    .writeHead(status, {
      "Content-Type": "application/json; charset=utf-8",
      "Cache-Control": "no-cache, no-store, must-revalidate",
      "Access-Control-Allow-Origin": "*",
    })
    .end(JSON.stringify(body));
}
