// A stand-in for the frontend's host: serves pages on its own origin and rewrites `/api/v1/(.*)` to
// `<backend>/functions/v1/$1`, as the frontend's vercel.json does. The browser only ever sees this origin; the
// backend sees the rewritten request (Host of the backend, the browser's own Cookie, Authorization, Origin,
// Referer and Sec-Fetch-* headers, X-Forwarded-For with the browser's address). Answers pass through untouched
// (status, Location, Set-Cookie, WWW-Authenticate; event streams as they flow). Every forwarded request is
// logged. One fault can be armed: forward a request and then tell the page it failed (502), as an answer lost on
// the way back.
import http from "node:http";
import { readFile } from "node:fs/promises";
import path from "node:path";
import type { AddressInfo, Socket } from "node:net";

export interface LoggedRequest {
  method: string;
  /** The path and query as the page asked, e.g. /api/v1/queue/position?clinic=lab&user=u1. */
  path: string;
  /** The headers as the browser sent them. */
  headers: http.IncomingHttpHeaders;
  startedAt: number;
  /** When the answer's headers reached the page (undefined while pending or when aborted). */
  answeredAt?: number;
  status?: number;
  /** The answer's body (event streams are not read). */
  body?: string;
  aborted?: boolean;
  /** The backend's answer was withheld and a 502 sent instead. */
  lost?: boolean;
}

type Predicate = (method: string, path: string) => boolean;

export interface RewriteHost {
  origin: string;
  log: LoggedRequest[];
  /** The next request matching `predicate` reaches the backend, but the page is told it failed (502). */
  loseNextAnswer(predicate: Predicate): void;
  close(): Promise<void>;
}

export interface RewriteHostOptions {
  backendUrl: string;
  /** Pages by path, served as HTML. */
  pages?: Record<string, string>;
  /** A folder of .html and .js files; `/` serves its page.html. */
  staticDir?: string;
  /** Reported in X-Forwarded-For instead of the browser's own address (as if the browser were elsewhere). */
  clientAddress?: string;
}

const HOP_BY_HOP = new Set(["connection", "keep-alive", "transfer-encoding", "upgrade", "proxy-connection", "te", "trailer"]);
const CONTENT_TYPES: Record<string, string> = { ".html": "text/html; charset=utf-8", ".js": "text/javascript" };

const endToEnd = (headers: http.IncomingHttpHeaders): http.OutgoingHttpHeaders =>
  Object.fromEntries(Object.entries(headers).filter(([name, value]) => !HOP_BY_HOP.has(name) && value !== undefined));

export async function startRewriteHost(options: RewriteHostOptions): Promise<RewriteHost> {
  const backend = new URL(options.backendUrl);
  const log: LoggedRequest[] = [];
  const sockets = new Set<Socket>();
  let lose: Predicate | undefined;

  const server = http.createServer(async (request, response) => {
    const url = new URL(request.url ?? "/", "http://host.local");
    if (!url.pathname.startsWith("/api/v1/")) {
      await servePage(url.pathname, options, response);
      return;
    }
    const entry: LoggedRequest = {
      method: request.method ?? "GET",
      path: `${url.pathname}${url.search}`,
      headers: request.headers,
      startedAt: Date.now(),
    };
    log.push(entry);
    const losing = lose?.(entry.method, entry.path) ?? false;
    if (losing) lose = undefined;
    const headers = endToEnd(request.headers);
    headers.host = backend.host;
    headers["x-forwarded-for"] = options.clientAddress ?? request.socket.remoteAddress ?? "127.0.0.1";
    const upstream = http.request({
      host: backend.hostname,
      port: backend.port,
      method: request.method,
      path: `/functions/v1/${url.pathname.slice("/api/v1/".length)}${url.search}`,
      headers,
    });
    upstream.on("response", (answer) => {
      const answerHeaders = endToEnd(answer.headers);
      if (String(answer.headers["content-type"] ?? "").startsWith("text/event-stream")) {
        entry.status = answer.statusCode;
        entry.answeredAt = Date.now();
        response.writeHead(answer.statusCode ?? 502, answerHeaders);
        response.flushHeaders();
        answer.pipe(response);
        return;
      }
      const chunks: Buffer[] = [];
      answer.on("data", (chunk: Buffer) => chunks.push(chunk));
      answer.on("end", () => {
        const body = Buffer.concat(chunks);
        entry.body = body.toString("utf8");
        entry.answeredAt = Date.now();
        if (losing) {
          entry.lost = true;
          entry.status = 502;
          response.writeHead(502, { "Content-Type": "text/plain" }).end("Bad gateway");
          return;
        }
        entry.status = answer.statusCode;
        response.writeHead(answer.statusCode ?? 502, answerHeaders).end(body);
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
  // Held requests and event streams keep sockets open: close() ends them rather than waiting on them.
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    log,
    loseNextAnswer: (predicate) => {
      lose = predicate;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

async function servePage(pathname: string, options: RewriteHostOptions, response: http.ServerResponse): Promise<void> {
  const page = options.pages?.[pathname];
  if (page !== undefined) {
    response.writeHead(200, { "Content-Type": CONTENT_TYPES[".html"], "Cache-Control": "no-store" }).end(page);
    return;
  }
  const name = pathname === "/" ? "page.html" : path.basename(pathname);
  const type = CONTENT_TYPES[path.extname(name)];
  if (options.staticDir && type) {
    try {
      const body = await readFile(path.join(options.staticDir, name));
      response.writeHead(200, { "Content-Type": type, "Cache-Control": "no-store" }).end(body);
      return;
    } catch {
      // Not in the folder: not found, as below.
    }
  }
  response.writeHead(404, { "Content-Type": "text/plain" }).end("not found");
}
