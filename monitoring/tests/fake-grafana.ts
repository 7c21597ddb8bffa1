// A fake Grafana HTTP API (test support) that holds the proof to Grafana's documented endpoints and answers
// (docs/sources/developers/http_api: other.md, folder_dashboard_search.md, dashboard.md, data_source.md):
//   GET  /api/health                          no credentials; {commit, database: "ok", version}
//   GET  /api/search?type=dash-db&dashboardUIDs=<uid>   hits {id, uid, title, url, type, tags, isStarred, folderUid, ...}
//   GET  /api/dashboards/uid/:uid             {dashboard, meta}; 404 {"message": "Dashboard not found"}
//   GET  /api/datasources/uid/:uid/health     {status: "OK", message}; 404 {"message": "Data source not found"}
//   POST /api/ds/query                        {results: {<refId>: {frames}}}; 400 with results[refId].error when a
//                                             query fails; 400 for a malformed body
//   GET  /d/:uid/:slug                        the dashboard page (a plain rendering of the panels, not Grafana's UI)
// Every /api route but health, and the page, need `Authorization: Bearer <token>` or Basic user:password: 401
// {"message": ...} otherwise (the page redirects to /login, as Grafana does). The Prometheus datasource (uid
// "prometheus", as kube-prometheus-stack provisions it) is a real Prometheus: health runs `1+1` on it, queries run as
// /api/v1/query_range and come back as Grafana's data frames (time field + number field per series).
import type http from "node:http";
import { readBody, startHttpServer, type TestServer } from "./support.ts";

export interface FakeDashboard {
  model: { uid: string; title?: string; tags?: string[]; panels?: unknown[] } & Record<string, unknown>;
  /** As the sidecar's file provisioning marks it (default true). */
  provisioned?: boolean;
  /** Grafana's own counter (meta.version); default 3. */
  version?: number;
}

export interface FakeGrafanaOptions {
  /** The Prometheus behind the datasource uid "prometheus". */
  prometheusUrl: string;
  /** The service-account token it accepts (Bearer). */
  token: string;
  /** Basic credentials it accepts too, "user:password". */
  basic?: string;
  dashboards?: FakeDashboard[];
  /** Makes every query of /api/ds/query fail downstream with this error (as when the datasource errors). */
  queryError?: string;
}

export interface RecordedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  authorized: boolean;
  body?: unknown;
}

export interface FakeGrafana {
  readonly url: string;
  readonly requests: RecordedRequest[];
  close(): Promise<void>;
}

const DATASOURCE_UID = "prometheus";
const FOLDER = { uid: "love-backend", title: "love-backend" };

function send(response: http.ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { "content-type": "application/json; charset=UTF-8" }).end(JSON.stringify(body));
}

const slugOf = (title = ""): string => title.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "");

/** Grafana time: "now", "now-1h", or epoch milliseconds. */
function parseTime(value: unknown, now: number): number | undefined {
  if (typeof value === "number") return value;
  if (typeof value !== "string") return undefined;
  if (/^\d+$/.test(value)) return Number(value);
  const match = /^now(?:-(\d+)([smhd]))?$/.exec(value);
  if (!match) return undefined;
  const unit = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[match[2] as "s" | "m" | "h" | "d"] ?? 0;
  return now - Number(match[1] ?? 0) * unit;
}

interface RangeAnswer {
  status: string;
  error?: string;
  errorType?: string;
  data?: { result: { metric: Record<string, string>; values: [number, string][] }[] };
}

/** One Prometheus matrix as Grafana's Prometheus datasource frames it (dataplane "timeseries-multi"). */
function frames(refId: string, expr: string, stepMs: number, answer: RangeAnswer): unknown[] {
  return (answer.data?.result ?? []).map((series) => {
    const values = series.values.map(([, text]) => Number(text));
    const nanAt = values.flatMap((value, index) => (Number.isNaN(value) ? [index] : []));
    return {
      schema: {
        name: "",
        refId,
        meta: { type: "timeseries-multi", typeVersion: [0, 1], executedQueryString: `Expr: ${expr}\nStep: ${stepMs / 1000}s` },
        fields: [
          { name: "Time", type: "time", typeInfo: { frame: "time.Time" }, config: { interval: stepMs } },
          { name: "Value", type: "number", typeInfo: { frame: "float64" }, labels: series.metric, config: {} },
        ],
      },
      data: {
        values: [series.values.map(([time]) => Math.round(time * 1000)), values.map((value) => (Number.isNaN(value) ? null : value))],
        ...(nanAt.length > 0 ? { entities: [null, { NaN: nanAt }] } : {}),
      },
    };
  });
}

export async function startFakeGrafana(options: FakeGrafanaOptions): Promise<FakeGrafana> {
  const requests: RecordedRequest[] = [];
  const dashboards = new Map((options.dashboards ?? []).map((dashboard) => [dashboard.model.uid, dashboard]));
  const basic = options.basic ? `Basic ${Buffer.from(options.basic).toString("base64")}` : undefined;

  const authorize = (header: string | undefined): { ok: boolean; message: string } => {
    if (header === `Bearer ${options.token}` || (basic !== undefined && header === basic)) return { ok: true, message: "" };
    if (!header) return { ok: false, message: "Unauthorized" };
    return { ok: false, message: header.startsWith("Basic ") ? "Invalid username or password" : "Invalid API key" };
  };

  const meta = (dashboard: FakeDashboard) => {
    const slug = slugOf(dashboard.model.title);
    return {
      type: "db",
      canSave: false,
      canEdit: false,
      canAdmin: false,
      canStar: true,
      canDelete: false,
      slug,
      url: `/d/${dashboard.model.uid}/${slug}`,
      expires: "0001-01-01T00:00:00Z",
      created: "2026-01-01T00:00:00Z",
      updated: "2026-01-02T00:00:00Z",
      updatedBy: "Anonymous",
      createdBy: "Anonymous",
      version: dashboard.version ?? 3,
      hasAcl: false,
      isFolder: false,
      folderUid: FOLDER.uid,
      folderTitle: FOLDER.title,
      folderUrl: `/dashboards/f/${FOLDER.uid}/${FOLDER.uid}`,
      provisioned: dashboard.provisioned ?? true,
      provisionedExternalId: dashboard.provisioned === false ? "" : `${dashboard.model.uid}.json`,
    };
  };

  const prometheus = async (path: string): Promise<{ status: number; body: RangeAnswer }> => {
    const response = await fetch(`${options.prometheusUrl}${path}`, { signal: AbortSignal.timeout(10_000) });
    return { status: response.status, body: (await response.json()) as RangeAnswer };
  };

  async function query(body: unknown, response: http.ServerResponse): Promise<void> {
    const request = body as { queries?: { refId?: string; expr?: string; datasource?: { uid?: string }; intervalMs?: number; maxDataPoints?: number }[]; from?: unknown; to?: unknown };
    const now = Date.now();
    const from = parseTime(request.from, now);
    const to = parseTime(request.to, now);
    if (!Array.isArray(request.queries) || request.queries.length === 0 || from === undefined || to === undefined) {
      send(response, 400, { message: "bad request data", messageId: "query.badRequest" });
      return;
    }
    const results: Record<string, unknown> = {};
    let failed = false;
    for (const item of request.queries) {
      const refId = item.refId ?? "A";
      if (item.datasource?.uid !== DATASOURCE_UID) {
        send(response, 404, { message: "Data source not found" });
        return;
      }
      if (options.queryError) {
        results[refId] = { error: options.queryError, errorSource: "downstream", status: 400 };
        failed = true;
        continue;
      }
      const stepMs = Math.max(item.intervalMs ?? 1_000, Math.ceil((to - from) / (item.maxDataPoints ?? 100) / 1_000) * 1_000);
      const params = new URLSearchParams({ query: item.expr ?? "", start: String(from / 1000), end: String(to / 1000), step: String(stepMs / 1000) });
      const answer = await prometheus(`/api/v1/query_range?${params}`);
      if (answer.body.status !== "success") {
        results[refId] = { error: `${answer.body.errorType ?? "error"}: ${answer.body.error ?? "?"}`, errorSource: "downstream", status: answer.status };
        failed = true;
      } else {
        results[refId] = { status: 200, frames: frames(refId, item.expr ?? "", stepMs, answer.body) };
      }
    }
    send(response, failed ? 400 : 200, { results });
  }

  function page(dashboard: FakeDashboard, response: http.ServerResponse): void {
    const panels = (dashboard.model.panels ?? []) as { title?: string; type?: string; fieldConfig?: { defaults?: { thresholds?: { steps?: { value: number | null; color: string }[] } } } }[];
    const escape = (text: string) => text.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
    const cells = panels
      .filter((panel) => panel.type !== "row")
      .map((panel) => {
        const steps = (panel.fieldConfig?.defaults?.thresholds?.steps ?? []).map((step) => `<span style="background:${step.color};color:#fff;padding:2px 6px">${step.value ?? "base"}</span>`).join(" ");
        return `<div style="border:1px solid #444;padding:12px;background:#181b1f;color:#ccccdc"><h3>${escape(panel.title ?? "")}</h3><p>${escape(panel.type ?? "")}</p><p>${steps}</p></div>`;
      })
      .join("");
    response
      .writeHead(200, { "content-type": "text/html; charset=UTF-8" })
      .end(`<!doctype html><html><head><title>${escape(dashboard.model.title ?? "")} - Dashboards - Grafana</title></head><body style="background:#111217;font-family:sans-serif;margin:0"><div style="display:grid;grid-template-columns:repeat(3,1fr);gap:8px;padding:8px">${cells}</div></body></html>`);
  }

  const server: TestServer = await startHttpServer(async (request, response) => {
    const url = new URL(request.url ?? "/", "http://fake-grafana");
    const auth = authorize(request.headers.authorization);
    const text = request.method === "POST" ? await readBody(request) : "";
    let body: unknown;
    try {
      body = text ? (JSON.parse(text) as unknown) : undefined;
    } catch {
      send(response, 400, { message: "bad request data" });
      return;
    }
    requests.push({ method: request.method ?? "GET", path: url.pathname, query: url.searchParams, authorized: auth.ok, ...(body !== undefined ? { body } : {}) });

    if (request.method === "GET" && url.pathname === "/api/health") {
      send(response, 200, { commit: "fake0000", database: "ok", version: "12.1.1" });
      return;
    }
    if (url.pathname === "/login") {
      response.writeHead(200, { "content-type": "text/html" }).end("<!doctype html><title>Grafana</title><form><input name=user><input name=password type=password></form>");
      return;
    }
    const dashboardPage = /^\/d\/([^/]+)/.exec(url.pathname);
    if (!auth.ok) {
      if (dashboardPage) response.writeHead(302, { location: "/login" }).end();
      else send(response, 401, { message: auth.message });
      return;
    }
    if (request.method === "GET" && dashboardPage) {
      const dashboard = dashboards.get(decodeURIComponent(dashboardPage[1] as string));
      if (dashboard) page(dashboard, response);
      else response.writeHead(404, { "content-type": "text/html" }).end("<!doctype html><p>Dashboard not found</p>");
      return;
    }
    if (request.method === "GET" && url.pathname === "/api/search") {
      const type = url.searchParams.get("type");
      const uids = url.searchParams.getAll("dashboardUIDs");
      const hits = type === "dash-folder" ? [] : [...dashboards.values()]
        .filter((dashboard) => uids.length === 0 || uids.includes(dashboard.model.uid))
        .map((dashboard, index) => {
          const m = meta(dashboard);
          return { id: index + 1, uid: dashboard.model.uid, orgId: 1, title: dashboard.model.title, uri: `db/${m.slug}`, url: m.url, slug: "", type: "dash-db", tags: dashboard.model.tags ?? [], isStarred: false, sortMeta: 0, folderUid: FOLDER.uid, folderTitle: FOLDER.title, folderUrl: m.folderUrl };
        });
      send(response, 200, hits);
      return;
    }
    const byUid = /^\/api\/dashboards\/uid\/([^/]+)$/.exec(url.pathname);
    if (request.method === "GET" && byUid) {
      const dashboard = dashboards.get(decodeURIComponent(byUid[1] as string));
      if (!dashboard) send(response, 404, { message: "Dashboard not found" });
      else send(response, 200, { dashboard: { ...dashboard.model, id: 1, version: dashboard.version ?? 3 }, meta: meta(dashboard) });
      return;
    }
    const health = /^\/api\/datasources\/uid\/([^/]+)\/health$/.exec(url.pathname);
    if (request.method === "GET" && health) {
      if (decodeURIComponent(health[1] as string) !== DATASOURCE_UID) {
        send(response, 404, { message: "Data source not found" });
        return;
      }
      try {
        const answer = await prometheus("/api/v1/query?query=1%2B1");
        if (answer.body.status !== "success") throw new Error(answer.body.error ?? "query failed");
        send(response, 200, { status: "OK", message: "Successfully queried the Prometheus API." });
      } catch (error) {
        send(response, 400, { status: "ERROR", message: `There was an error returned querying the Prometheus API. ${(error as Error).message}` });
      }
      return;
    }
    if (request.method === "POST" && url.pathname === "/api/ds/query") {
      await query(body, response);
      return;
    }
    send(response, 404, { message: "Not found" });
  });
  return { url: server.url, requests, close: () => server.close() };
}
