// One edge function per first path segment of the frontend contract. On Supabase (and behind the local gateway)
// the function sees `/<slug>/<action...>`; the router matches the rest against "<METHOD> /<action>" routes.
import { corsHeaders, parseAllowedOrigins } from "./cors.ts";
import { fail, HttpError } from "./http.ts";
import { CallTimeoutError, CircuitOpenError } from "./circuit-breaker.ts";
import { env } from "./env.ts";
import { enforceRateLimit, isExemptFromRateLimit } from "./rate-limit.ts";
import { MAX_BODY_BYTES } from "./validation.ts";

export interface RequestContext {
  request: Request;
  url: URL;
  /** The path after the function's slug, e.g. "/status". */
  path: string;
  params: URLSearchParams;
}

export type Handler = (context: RequestContext) => Response | Promise<Response>;
export type Routes = Record<string, Handler>;

export function createRouter(slug: string, routes: Routes): (request: Request) => Promise<Response> {
  const table = new Map<string, Map<string, Handler>>();
  for (const [key, handler] of Object.entries(routes)) {
    const [method, path] = key.split(" ") as [string, string];
    const byMethod = table.get(path) ?? new Map<string, Handler>();
    byMethod.set(method, handler);
    table.set(path, byMethod);
  }
  const allowedOrigins = parseAllowedOrigins(env("ALLOWED_ORIGINS"));

  return async (request) => {
    const url = new URL(request.url);
    const cors = corsHeaders(request.headers.get("Origin"), allowedOrigins);
    const path = actionPath(url.pathname, slug);
    const byMethod = table.get(path);
    let response: Response;
    if (request.method === "OPTIONS") {
      response = new Response(null, { status: 204 });
    } else if (!byMethod) {
      response = fail(404, `Not found: ${request.method} ${url.pathname}`);
    } else {
      const handler = byMethod.get(request.method === "HEAD" ? "GET" : request.method);
      response = handler
        ? await guarded(slug, handler, { request, url, path, params: url.searchParams })
        : fail(405, `Method ${request.method} not allowed on ${url.pathname}`, {}, {
          Allow: [...byMethod.keys()].join(", "),
        });
    }
    for (const [name, value] of Object.entries(cors)) response.headers.set(name, value);
    return response;
  };
}

/** The checks every matched route gets before its handler: the body limit and the abuse ceilings. */
async function guarded(slug: string, handler: Handler, context: RequestContext): Promise<Response> {
  const declared = Number(context.request.headers.get("content-length"));
  if (Number.isFinite(declared) && declared > MAX_BODY_BYTES) {
    await context.request.body?.cancel().catch(() => {});
    return fail(413, `Request body larger than ${MAX_BODY_BYTES} bytes`);
  }
  if (!isExemptFromRateLimit(handler)) {
    const limited = await enforceRateLimit(context.request, slug, context.params);
    if (limited) return limited;
  }
  return run(handler, context);
}

async function run(handler: Handler, context: RequestContext): Promise<Response> {
  try {
    return await handler(context);
  } catch (error) {
    if (error instanceof HttpError) return fail(error.status, error.message, error.extra, error.headers);
    if (error instanceof CircuitOpenError) {
      return fail(503, "Service temporarily unavailable, please retry shortly", { dependency: error.dependency }, {
        "Retry-After": String(error.retryAfterSeconds),
      });
    }
    if (error instanceof CallTimeoutError) {
      return fail(503, "Service temporarily unavailable, please retry shortly", { dependency: error.dependency }, {
        "Retry-After": "1",
      });
    }
    // The cause goes to the platform's logs only; the client gets the envelope, never a stack trace.
    console.error(`[${context.request.method} ${context.url.pathname}]`, error);
    return fail(500, "Internal server error");
  }
}

/** "/functions/v1/health/status" or "/health/status" → "/status"; "/health" → "/". */
export function actionPath(pathname: string, slug: string): string {
  const segments = pathname.split("/").filter(Boolean);
  const at = segments.indexOf(slug);
  const rest = at === -1 ? segments : segments.slice(at + 1);
  return `/${rest.join("/")}`;
}
