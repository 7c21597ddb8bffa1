// Reads a client's request body whole (functions get it with a Content-Length), bounded in size.
import type http from "node:http";

export class BodyTooLargeError extends Error {}
/** The client went away (or its chunked framing broke) before the body ended. */
export class BodyAbortedError extends Error {}

export function readBody(request: http.IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (error?: Error) => {
      if (done) return;
      done = true;
      request.off("data", onData);
      if (error) reject(error);
      else resolve(Buffer.concat(chunks));
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        // Stop buffering; the caller answers 413 and closes the connection.
        request.pause();
        finish(new BodyTooLargeError(`body larger than ${limit} bytes`));
      } else {
        chunks.push(chunk);
      }
    };
    request.on("data", onData);
    request.once("end", () => finish());
    request.once("error", (error) => finish(new BodyAbortedError(error.message)));
    request.once("close", () => finish(request.complete ? undefined : new BodyAbortedError("client closed the request")));
  });
}
