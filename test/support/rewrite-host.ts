// A stand-in for the frontend's host: serves pages on its own origin and rewrites `/api/v1/(.*)` to
// `<backend>/functions/v1/$1`, as the frontend's vercel.json does. The browser only ever sees this origin; the
// backend sees the rewritten request (Host of the backend, the browser's own Cookie, Authorization, Origin,
// Referer and Sec-Fetch-* headers, X-Forwarded-For with the browser's address). Answers pass through untouched
// (status, Location, Set-Cookie, WWW-Authenticate, event streams).
import http from "node:http";
import type { AddressInfo } from "node:net";

export interface RewriteHost {
  origin: string;
  /** Requests that reached the backend through the rewrite, in order. */
  forwarded: { method: string; path: string; headers: http.IncomingHttpHeaders; status: number }[];
  close(): Promise<void>;
}

export type Pages = Record<string, string>;

const HOP_BY_HOP = new Set(["connection", "keep-alive", "transfer-encoding", "upgrade", "proxy-connection", "te", "trailer"]);

export async function startRewriteHost(backend: string, pages: Pages): Promise<RewriteHost> {
  const target = new URL(backend);
  const forwarded: RewriteHost["forwarded"] = [];
  const sockets = new Set<import("node:net").Socket>();
  const server = http.createServer((request, response) => {
    const url = new URL(request.url ?? "/", "http://host");
    if (!url.pathname.startsWith("/api/v1/")) {
      const page = pages[url.pathname];
      if (page === undefined) {
        response.writeHead(404, { "Content-Type": "text/plain" }).end("not found");
        return;
      }
      response.writeHead(200, { "Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store" }).end(page);
      return;
    }
    const headers: http.OutgoingHttpHeaders = {};
    for (const [name, value] of Object.entries(request.headers)) if (!HOP_BY_HOP.has(name) && value !== undefined) headers[name] = value;
    headers.host = target.host;
    headers["x-forwarded-for"] = request.socket.remoteAddress ?? "127.0.0.1";
    const path = `/functions/v1/${url.pathname.slice("/api/v1/".length)}${url.search}`;
    const upstream = http.request({ host: target.hostname, port: target.port, method: request.method, path, headers }, (answer) => {
      forwarded.push({ method: request.method ?? "GET", path: `${url.pathname}${url.search}`, headers: request.headers, status: answer.statusCode ?? 0 });
      const out: http.OutgoingHttpHeaders = {};
      for (const [name, value] of Object.entries(answer.headers)) if (!HOP_BY_HOP.has(name) && value !== undefined) out[name] = value;
      response.writeHead(answer.statusCode ?? 502, out);
      answer.pipe(response);
      response.on("close", () => answer.destroy());
    });
    upstream.on("error", () => {
      if (!response.headersSent) response.writeHead(502, { "Content-Type": "text/plain" });
      response.end();
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
    origin: `http://127.0.0.1:${port}`,
    forwarded,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
