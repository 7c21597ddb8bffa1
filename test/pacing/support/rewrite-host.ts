// A stand-in for the frontend's host: serves a static page and rewrites `/api/v1/(.*)` to
// `<backend>/functions/v1/$1`, as the frontend's vercel.json rewrite does, streaming answers (event streams pass
// through). Everything the page asks of the backend is logged. One fault can be armed: forward a request to the
// backend and then tell the page it failed (502), as a response lost on the way back does.
import http from "node:http";
import { readFile } from "node:fs/promises";
import path from "node:path";
import type { AddressInfo } from "node:net";

export interface LoggedRequest {
  method: string;
  /** The path and query as the page asked, e.g. /api/v1/queue/position?clinic=lab&user=u1. */
  path: string;
  startedAt: number;
  /** When the answer's headers reached the page (undefined while pending or when aborted). */
  answeredAt?: number;
  status?: number;
  /** The answer's body (JSON answers only; event streams are not read). */
  body?: string;
  aborted?: boolean;
  /** The backend's answer was withheld and a 502 sent instead. */
  lost?: boolean;
}

type Predicate = (method: string, path: string) => boolean;

export interface RewriteHost {
  url: string;
  log: LoggedRequest[];
  /** The next request matching `predicate` reaches the backend, but the page is told it failed (502). */
  loseNextAnswer(predicate: Predicate): void;
  close(): Promise<void>;
}

const CONTENT_TYPES: Record<string, string> = { ".html": "text/html; charset=utf-8", ".js": "text/javascript" };

export async function startRewriteHost(options: {
  backendUrl: string;
  staticDir: string;
  /** Address the host reports to the backend in X-Forwarded-For (as the host's rewrite passes the browser's). */
  clientAddress?: string;
}): Promise<RewriteHost> {
  const log: LoggedRequest[] = [];
  const backend = new URL(options.backendUrl);
  const sockets = new Set<import("node:net").Socket>();
  let lose: Predicate | undefined;

  const server = http.createServer(async (request, response) => {
    const url = new URL(request.url ?? "/", "http://host.local");
    if (!url.pathname.startsWith("/api/v1/")) {
      await serveStatic(url.pathname, options.staticDir, response);
      return;
    }
    const entry: LoggedRequest = { method: request.method ?? "GET", path: `${url.pathname}${url.search}`, startedAt: Date.now() };
    log.push(entry);
    const losing = lose?.(entry.method, entry.path) ?? false;
    if (losing) lose = undefined;
    const headers = { ...request.headers, host: backend.host } as http.OutgoingHttpHeaders;
    if (options.clientAddress) headers["x-forwarded-for"] = options.clientAddress;
    const upstream = http.request({
      host: backend.hostname,
      port: backend.port,
      method: request.method,
      path: `/functions/v1/${url.pathname.slice("/api/v1/".length)}${url.search}`,
      headers,
    });
    upstream.on("response", (answer) => {
      const type = String(answer.headers["content-type"] ?? "");
      if (type.startsWith("text/event-stream")) {
        entry.status = answer.statusCode;
        entry.answeredAt = Date.now();
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        response.flushHeaders();
        answer.pipe(response);
        return;
      }
      const chunks: Buffer[] = [];
      answer.on("data", (chunk: Buffer) => chunks.push(chunk));
      answer.on("end", () => {
        entry.body = Buffer.concat(chunks).toString("utf8");
        entry.answeredAt = Date.now();
        if (losing) {
          entry.lost = true;
          entry.status = 502;
          response.writeHead(502, { "Content-Type": "text/plain" }).end("Bad gateway");
          return;
        }
        entry.status = answer.statusCode;
        response.writeHead(answer.statusCode ?? 502, answer.headers).end(Buffer.concat(chunks));
      });
    });
    upstream.on("error", () => {
      if (!response.headersSent) response.writeHead(502).end();
      else response.destroy();
    });
    // The page went away (reload, navigation, aborted fetch): so does the request to the backend.
    response.once("close", () => {
      if (entry.answeredAt === undefined) entry.aborted = true;
      if (!upstream.destroyed) upstream.destroy();
    });
    request.pipe(upstream);
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    log,
    loseNextAnswer: (predicate) => {
      lose = predicate;
    },
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

async function serveStatic(pathname: string, dir: string, response: http.ServerResponse): Promise<void> {
  const name = pathname === "/" ? "page.html" : path.basename(pathname);
  const type = CONTENT_TYPES[path.extname(name)];
  if (!type) {
    response.writeHead(404).end();
    return;
  }
  try {
    const body = await readFile(path.join(dir, name));
    response.writeHead(200, { "Content-Type": type, "Cache-Control": "no-store" }).end(body);
  } catch {
    response.writeHead(404).end();
  }
}
