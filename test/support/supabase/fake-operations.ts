// What every surface of the fake Management API shares: the answer an operation gives, the call it receives once
// the request has passed the contract, and the table of operations each surface contributes to the router.
import { createHash } from "node:crypto";
import type { MatchedOperation } from "./api-contract.ts";

/** What an operation answers: a status and an optional JSON body. */
export type Answer = { status: number; body?: unknown };

/** A request matched to its documented operation, with the JSON body or multipart form it carried. */
export type OperationCall = MatchedOperation & { body: unknown; form: FormData | undefined };

/** One surface's operations, keyed as the contract names them, e.g. `PATCH /v1/projects/{ref}/config/auth`. */
export type Operations = Record<string, (call: OperationCall) => Answer | Promise<Answer>>;

export function ok(body: unknown): Answer {
  return { status: 200, body };
}

export function notFound(message: string): Answer {
  return { status: 404, body: { message } };
}

export function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}
