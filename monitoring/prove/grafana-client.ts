// Grafana's HTTP API as the proof uses it (documented endpoints only): /api/health, /api/search,
// /api/dashboards/uid/:uid, /api/datasources/uid/:uid/health, /api/ds/query. One credential: a service-account
// token (sent as Bearer) or user:password (sent as Basic), as Grafana's HTTP API and its Pulumi provider accept.
import { HttpError, requestJson, trimSlashes } from "./http.ts";

export interface GrafanaTarget {
  url: string;
  /** A service-account token, or user:password. Never logged, never saved. */
  token: string;
}

/** The Authorization header value for a GRAFANA_TOKEN. */
export function authorizationFor(token: string): string {
  return token.includes(":") ? `Basic ${Buffer.from(token).toString("base64")}` : `Bearer ${token}`;
}

/** Grafana refused the credentials (401) or their access (403). */
export class GrafanaAuthError extends Error {}

/** The frames of one query's result in an /api/ds/query answer. */
export interface DataFrame {
  schema?: { name?: string; refId?: string; fields?: { name: string; type?: string; labels?: Record<string, string> }[] };
  data?: { values?: unknown[][] };
}

export interface QueryResult {
  status?: number;
  error?: string;
  frames?: DataFrame[];
}

export interface QueryAnswer {
  results?: Record<string, QueryResult>;
}

export class GrafanaClient {
  readonly base: string;
  readonly authorization: string;

  constructor(
    target: GrafanaTarget,
    private readonly timeoutMs: number,
  ) {
    this.base = trimSlashes(target.url);
    this.authorization = authorizationFor(target.token);
  }

  health(): Promise<unknown> {
    return requestJson(`${this.base}/api/health`, { timeoutMs: this.timeoutMs });
  }

  get(path: string): Promise<unknown> {
    return this.authed(path);
  }

  /** POST /api/ds/query. A 400 answer carries the per-query errors in its body: it is returned, not thrown. */
  async query(body: unknown): Promise<{ status: number; answer: QueryAnswer }> {
    try {
      return { status: 200, answer: (await this.authed("/api/ds/query", body)) as QueryAnswer };
    } catch (error) {
      if (error instanceof HttpError && error.status === 400) {
        try {
          return { status: 400, answer: JSON.parse(error.body) as QueryAnswer };
        } catch {
          throw error;
        }
      }
      throw error;
    }
  }

  private async authed(path: string, json?: unknown): Promise<unknown> {
    try {
      return await requestJson(`${this.base}${path}`, {
        timeoutMs: this.timeoutMs,
        headers: { authorization: this.authorization },
        ...(json === undefined ? {} : { json }),
      });
    } catch (error) {
      if (error instanceof HttpError && (error.status === 401 || error.status === 403)) {
        const message = grafanaMessage(error.body);
        throw new GrafanaAuthError(
          `Grafana at ${this.base} ${error.status === 401 ? "refused the credentials" : "denied access"} ` +
            `(HTTP ${error.status}${message ? `: ${message}` : ""} on ${path}); GRAFANA_TOKEN must be a service-account ` +
            "token with the Viewer role, or user:password (monitoring/README.md)",
        );
      }
      throw error;
    }
  }
}

/** Grafana's error answers are {"message": "..."}. */
export function grafanaMessage(body: string): string | undefined {
  try {
    const parsed = JSON.parse(body) as { message?: unknown };
    return typeof parsed.message === "string" ? parsed.message : undefined;
  } catch {
    return body.trim().slice(0, 200) || undefined;
  }
}

/** Finite numbers in the number fields of the frames, and the last of them. */
export function framePoints(frames: DataFrame[] = []): { points: number; last?: number } {
  let points = 0;
  let last: number | undefined;
  for (const frame of frames) {
    const fields = frame.schema?.fields ?? [];
    fields.forEach((field, index) => {
      if (field.type !== "number") return;
      for (const value of frame.data?.values?.[index] ?? []) {
        if (typeof value === "number" && Number.isFinite(value)) {
          points += 1;
          last = value;
        }
      }
    });
  }
  return last === undefined ? { points } : { points, last };
}
