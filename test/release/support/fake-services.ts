// A fake deployed API and a fake Prometheus, both driven by what the real engine last deployed to a stack: the test
// repository's program exports its release.json (how healthy that release is) and its commit as stack outputs.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { FakeRelease, RealPulumi } from "./real-pulumi.ts";

export interface FakeServer {
  url: string;
  requests: string[];
  close(): Promise<void>;
}

async function listen(handler: (req: IncomingMessage, res: ServerResponse, requests: string[]) => Promise<void>): Promise<FakeServer> {
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    requests.push(req.url ?? "");
    handler(req, res, requests).catch((error: Error) => {
      res.writeHead(500).end(error.message);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
}

/** What a test sets on top of the deployed release (e.g. the database is gone). */
export type Override = () => FakeRelease | undefined;

async function deployedRelease(pulumi: RealPulumi, stack: string, override: Override): Promise<{ commit: string | null; release: FakeRelease } | undefined> {
  const deployed = await pulumi.deployed(stack);
  return deployed ? { commit: deployed.commit, release: { ...deployed.release, ...override() } } : undefined;
}

/** Serves /functions/v1/{health/status, queue/status, queue/position} the way the deployed release would. */
export function startFakeApi(pulumi: RealPulumi, stack: string, override: Override): Promise<FakeServer> {
  return listen(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    const deployed = await deployedRelease(pulumi, stack, override);
    if (!deployed) return send(res, 503, { success: false, error: "nothing deployed" });
    switch (url.pathname) {
      case "/functions/v1/health/status": {
        const status = deployed.release.health ?? 200;
        return send(res, status, { success: status === 200, status: status === 200 ? "healthy" : "unhealthy", version: deployed.commit });
      }
      case "/functions/v1/queue/status":
        return send(res, 200, { success: true, clinic: url.searchParams.get("clinic"), waiting: 0, total: 0 });
      case "/functions/v1/queue/position":
        return send(res, 404, { success: false, error: "User not in queue", code: "NOT_IN_QUEUE" });
      default:
        return send(res, 404, { success: false, error: "Not found" });
    }
  });
}

/** Answers /api/v1/query with the documented instant-vector shape, from the deployed release's requests/errors. */
export function startFakePrometheus(pulumi: RealPulumi, stack: string, override: Override): Promise<FakeServer> {
  return listen(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    if (url.pathname !== "/api/v1/query") return send(res, 404, { status: "error", errorType: "not_found", error: "no such endpoint" });
    const query = url.searchParams.get("query") ?? "";
    if (!query.includes("http_requests_total")) return send(res, 400, { status: "error", errorType: "bad_data", error: "unexpected query" });
    const release = (await deployedRelease(pulumi, stack, override))?.release ?? {};
    const value = query.includes('status=~"5.."') ? (release.errors ?? 0) : (release.requests ?? 1000);
    const now = Date.now() / 1000;
    return send(res, 200, {
      status: "success",
      data: { resultType: "vector", result: value === 0 && query.includes("5..") ? [] : [{ metric: {}, value: [now, String(value)] }] },
    });
  });
}
