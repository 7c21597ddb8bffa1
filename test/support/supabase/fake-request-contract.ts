// The fake Management API's side of the contract at the HTTP boundary: a request body must come in the content
// type its operation documents, and the fake's own answers must carry a documented status and body.
import type http from "node:http";
import type { ContractViolation, MatchedOperation } from "./api-contract.ts";
import type { Answer } from "./fake-operations.ts";
import { checkAgainstSchema } from "./schema-check.ts";

export type RequestBody = { json: unknown; form: FormData | undefined };

export function readBody(request: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => resolve(Buffer.concat(chunks)));
    request.on("error", reject);
  });
}

/** The body as its operation takes it: a multipart form, parsed JSON, or nothing; 415 or 400 when it is not. */
export async function parseBody(
  match: MatchedOperation,
  method: string,
  contentTypeHeader: string | undefined,
  raw: Buffer,
): Promise<RequestBody | ContractViolation> {
  const contentType = (contentTypeHeader ?? "").split(";")[0]?.trim() ?? "";
  if (match.bodySchema("multipart/form-data")) {
    if (contentType !== "multipart/form-data") return { status: 415, body: { message: "Expected multipart/form-data" } };
    const form = await new Request("http://fake/", { method, headers: { "content-type": String(contentTypeHeader) }, body: new Uint8Array(raw) }).formData();
    return { json: undefined, form };
  }
  if (raw.length === 0) return { json: undefined, form: undefined };
  if (contentType !== "application/json") return { status: 415, body: { message: "Expected application/json" } };
  try {
    return { json: JSON.parse(raw.toString("utf8")), form: undefined };
  } catch {
    return { status: 400, body: { message: "Unexpected token in JSON body" } };
  }
}

/** Throws when the fake itself strays from the document: an undocumented success status or body. */
export function checkAnswer(match: MatchedOperation, answer: Answer): void {
  if (answer.status >= 200 && answer.status < 300 && !match.responses.includes(String(answer.status))) {
    throw new Error(`fake answered ${answer.status} to ${match.key}, which documents ${match.responses.join(", ")}`);
  }
  // Every documented field of the right type, no other.
  const responseSchema = answer.status < 300 ? match.responseSchema(answer.status) : undefined;
  if (responseSchema && answer.body !== undefined) {
    const problems = checkAgainstSchema(answer.body, responseSchema, "response");
    if (problems.length > 0) throw new Error(`fake's answer to ${match.key} is not the documented one: ${problems.slice(0, 5).join("; ")}`);
  }
}
