// The HTTP side of the alert receiver: POST <path> with Alertmanager's JSON and `Authorization: Bearer <token>`.
// Valid payloads always get 200 with the decision (a non-2xx makes Alertmanager retry, which the guard would ignore
// anyway); 401 without the token, 400 for a body that is not a webhook payload.
import { timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { AlertRollbackGuard, parsePayload, PayloadError, type Decision } from "./alert-receiver.ts";

export interface ReceiverServerOptions {
  guard: AlertRollbackGuard;
  token: string;
  path?: string;
  onDecision?: (decision: Decision) => void;
}

const MAX_BODY = 1024 * 1024;

function sameToken(header: string | undefined, token: string): boolean {
  const presented = Buffer.from(header?.startsWith("Bearer ") ? header.slice(7) : "");
  const expected = Buffer.from(token);
  return presented.length === expected.length && timingSafeEqual(presented, expected);
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
}

async function readBody(req: IncomingMessage): Promise<string | undefined> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}

export function createReceiverServer(options: ReceiverServerOptions): Server {
  if (!options.token) throw new Error("the alert receiver needs a bearer token");
  const path = options.path ?? "/alerts/webhook";
  return createServer((req, res) => {
    void (async () => {
      if (new URL(req.url ?? "/", "http://x").pathname !== path) return reply(res, 404, { error: "not found" });
      if (req.method !== "POST") return reply(res, 405, { error: "POST only" });
      if (!sameToken(req.headers.authorization, options.token)) return reply(res, 401, { error: "bad or missing bearer token" });
      const text = await readBody(req);
      if (text === undefined) return reply(res, 413, { error: "body too large" });
      let decision: Decision;
      try {
        decision = await options.guard.handle(parsePayload(JSON.parse(text) as unknown));
      } catch (error) {
        if (error instanceof PayloadError || error instanceof SyntaxError) return reply(res, 400, { error: (error as Error).message });
        throw error;
      }
      options.onDecision?.(decision);
      return reply(res, 200, decision);
    })().catch((error: Error) => reply(res, 500, { error: error.message }));
  });
}
