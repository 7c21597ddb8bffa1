// The local stand-in for the Supabase gateway plus the frontend host's rewrite: routes each request to the edge
// function it names, forwards it (streaming, so SSE works), and counts every response for /metrics.
// Whatever a client sends, the gateway answers or closes the connection; it never throws (issue 15, M1).
import http from "node:http";
import type { Duplex } from "node:stream";
import type { FunctionWorker } from "./functions.ts";
import type { ContractMetrics } from "../monitoring/contract-metrics.ts";
import { answerUnparsable, requestOrigin, sendEnvelope } from "./gateway-answers.ts";
import { upstreamHeaders } from "./forwarding.ts";
import { BodyTooLargeError, readBody } from "./request-body.ts";

export interface GatewayOptions {
  host: string;
  port: number;
  workers: Map<string, FunctionWorker>;
  metrics: ContractMetrics;
  /** Time a function has to start its response before the gateway answers 504, as Supabase's idle timeout. */
  responseTimeoutMs: number;
  /** The functions' ALLOWED_ORIGINS: the gateway's own answers follow the same CORS rule. */
  allowedOrigins?: readonly string[];
  /** Time a client has to send its request headers before it gets 408 (slow clients cannot hold sockets). */
  headersTimeoutMs?: number;
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

/** The request target's path and query, or undefined when it is no URL at all (e.g. `http://[/`). */
export function parseRequestTarget(target: string | undefined): { pathname: string; search: string } | undefined {
  try {
    const url = new URL(target ?? "/", "http://gateway.local");
    return { pathname: url.pathname, search: url.search };
  } catch {
    return undefined;
  }
}

const MAX_BODY_BYTES = 6 * 1024 * 1024;
const IDEMPOTENT = new Set(["GET", "HEAD", "OPTIONS"]);
const SETTLE_AFTER_ERROR_MS = 300;
const DEFAULT_HEADERS_TIMEOUT_MS = 30_000;
// Proxy-generated hop-by-hop headers of the function's connection; the gateway's own connection sets its own.
const UPSTREAM_ONLY = new Set(["connection", "keep-alive", "transfer-encoding"]);

export class Gateway {
  readonly metrics: ContractMetrics;
  // Kept-alive connections to the functions: a new TCP connection per request costs more than the request. No
  // cap on sockets per function: held requests and event streams each keep one for as long as they last, and a
  // cap would make the next request queue behind them (issue 15, M2).
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: Infinity, maxFreeSockets: 256 });
  private readonly server: http.Server;
  private readonly sockets = new Set<Duplex>();

  constructor(private readonly options: GatewayOptions) {
    this.metrics = options.metrics;
    const headersTimeout = options.headersTimeoutMs ?? DEFAULT_HEADERS_TIMEOUT_MS;
    this.server = http.createServer({
      headersTimeout,
      requestTimeout: Math.max(headersTimeout, 300_000),
      // Node checks those timeouts on this interval (30 s by default).
      connectionsCheckingInterval: Math.min(1_000, headersTimeout),
    }, (request, response) => {
      this.handle(request, response).catch((error: unknown) => this.unexpected(request, response, error));
    });
    this.server.on("connection", (socket) => {
      this.sockets.add(socket);
      socket.once("close", () => this.sockets.delete(socket));
    });
    this.server.on("clientError", (error: NodeJS.ErrnoException, socket: Duplex) => {
      const status = answerUnparsable(error, socket);
      if (status !== undefined) this.metrics.observe("gateway", "/:malformed", "-", status, undefined);
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
      // Open SSE streams and held requests would otherwise keep the server alive.
      for (const socket of this.sockets) socket.destroy();
      this.agent.destroy();
    });
  }

  private answer(request: http.IncomingMessage, response: http.ServerResponse, status: number, body: Record<string, unknown>, headers?: Record<string, string>): void {
    sendEnvelope(response, status, body, { origin: requestOrigin(request), allowedOrigins: this.options.allowedOrigins ?? [] }, headers);
  }

  private unexpected(request: http.IncomingMessage, response: http.ServerResponse, error: unknown): void {
    this.options.onLog?.(`[gateway] ${request.method} ${String(request.url).slice(0, 200)}: ${(error as Error)?.stack ?? String(error)}`);
    this.answer(request, response, 500, { success: false, error: "Gateway error", code: "GATEWAY_ERROR" });
  }

  private async handle(request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
    const started = process.hrtime.bigint();
    const method = request.method ?? "GET";
    const url = parseRequestTarget(request.url);
    const target = url && resolveTarget(url.pathname);
    const worker = target && this.options.workers.get(target.slug);
    const isMetrics = url?.pathname === "/metrics" && method === "GET";
    const fn = worker ? target.slug : "gateway";
    const action = worker ? target.path.slice(target.slug.length + 1) : url ? "/:unmatched" : "/:malformed";
    if (!isMetrics) {
      response.once("close", () => {
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        // A response cut off before its headers went out reached the client as a failed request.
        const status = response.headersSent ? response.statusCode : 502;
        this.metrics.observe(fn, action, method, status, seconds);
      });
    }

    if (!url) {
      request.resume();
      this.answer(request, response, 400, { success: false, error: "Malformed request target" });
      return;
    }
    if (isMetrics) {
      request.resume();
      const text = await this.metrics.text();
      response.writeHead(200, { "Content-Type": this.metrics.contentType }).end(text);
      return;
    }
    if (!target || !worker) {
      request.resume();
      const error = target ? `Function not found: ${target.slug}` : `Not found: ${method} ${url.pathname}`;
      this.answer(request, response, 404, { success: false, error });
      return;
    }

    let body: Buffer;
    try {
      body = await readBody(request, MAX_BODY_BYTES);
    } catch (error) {
      if (error instanceof BodyTooLargeError) {
        this.answer(request, response, 413, { success: false, error: `Request body larger than ${MAX_BODY_BYTES} bytes` }, { Connection: "close" });
      } else {
        response.destroy();
      }
      return;
    }
    // A worker that died since its last request may not have been reaped yet: one retry finds a fresh process.
    for (let attempt = 1; ; attempt++) {
      let port: number;
      try {
        port = await worker.ensureReady();
      } catch (error) {
        this.options.onLog?.(`[gateway] ${target.slug}: ${(error as Error).message.split("\n")[0]}`);
        this.answer(request, response, 503, { success: false, error: "Function failed to boot", code: "BOOT_ERROR" });
        return;
      }
      if (response.destroyed) return;
      const outcome = await this.forward(request, response, worker, port, `${target.path}${url.search}`, body);
      if (outcome !== "refused" || attempt === 2) {
        if (outcome === "refused") {
          this.answer(request, response, 502, { success: false, error: "Function failed to respond", code: "UPSTREAM_ERROR" });
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
      // One outcome per attempt: a timeout, an answer, an error or the client leaving, whichever comes first.
      let settled = false;
      let streaming = false;
      const settle = (outcome: "done" | "refused", answer?: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        answer?.();
        resolve(outcome);
      };
      let upstream: http.ClientRequest;
      try {
        upstream = http.request({
          host: "127.0.0.1",
          port,
          path,
          method: request.method,
          headers: upstreamHeaders({
            headers: request.headers,
            remoteAddress: request.socket.remoteAddress,
            bodyLength: body.length,
          }, `127.0.0.1:${port}`),
          agent: this.agent,
        });
      } catch {
        // A header value Node will not send on (it parsed it, but outgoing rules are stricter).
        resolve("done");
        this.answer(request, response, 400, { success: false, error: "Malformed request header" });
        return;
      }
      const timer = setTimeout(() => {
        settle("done", () => this.answer(request, response, 504, { success: false, error: "Function timed out", code: "TIMEOUT" }));
        upstream.destroy();
      }, this.options.responseTimeoutMs);

      upstream.on("response", (upstreamResponse) => {
        if (settled) {
          upstreamResponse.destroy();
          return;
        }
        clearTimeout(timer);
        streaming = true;
        const headers = Object.fromEntries(
          Object.entries(upstreamResponse.headers).filter(([name]) => !UPSTREAM_ONLY.has(name)),
        );
        response.writeHead(upstreamResponse.statusCode ?? 502, headers);
        response.flushHeaders();
        upstreamResponse.pipe(response);
        upstreamResponse.once("error", () => response.destroy());
        upstreamResponse.once("close", () => {
          // The function's stream ended early (crash mid-stream): end the client's too.
          if (!upstreamResponse.complete) response.destroy();
          settle("done");
        });
      });
      upstream.on("error", (error: NodeJS.ErrnoException) => {
        if (settled) return;
        if (streaming) {
          response.destroy();
          settle("done");
          return;
        }
        // Refused: the process is gone, nothing reached a function. A kept-alive socket reset before any answer
        // may be a socket the function had already closed: a GET (idempotent) is then tried once more.
        const staleSocket = upstream.reusedSocket && error.code === "ECONNRESET" && IDEMPOTENT.has(request.method ?? "");
        if (error.code === "ECONNREFUSED" || staleSocket) {
          settle("refused");
          return;
        }
        clearTimeout(timer);
        // The function died mid-request (crash, OOM). Let its exit be seen before answering, so the client's
        // next request already finds the worker to be restarted.
        void worker.settle(SETTLE_AFTER_ERROR_MS).then(() =>
          settle("done", () => this.answer(request, response, 502, { success: false, error: "Function failed to respond", code: "UPSTREAM_ERROR" }))
        );
      });
      // Client gone (e.g. an SSE reader closed the tab, a held request abandoned): tell the function at once, so
      // its timers stop and its abort signal fires.
      response.once("close", () => {
        if (!upstream.destroyed) upstream.destroy();
        settle("done");
      });
      upstream.end(body);
    });
  }
}
