// A client for the staff endpoints on the local stack: admin login (form or JSON), calls with a bearer token or
// the cookie, and a fresh X-Forwarded-For per call (each call is its own client for the rate limit) unless one
// is given. That header only counts on a stack started with BEHIND_REWRITE: the suite then plays the frontend
// host's rewrite, which writes the browser's address there.
import postgres from "postgres";
import { createAdmin } from "../../functions/_shared/admin-accounts.ts";

export interface StaffResponse {
  status: number;
  headers: Headers;
  // deno-lint-ignore no-explicit-any -- JSON answers of many shapes, asserted field by field.
  body: any;
  text: string;
}

export interface StaffCall {
  token?: string;
  cookie?: string;
  body?: unknown;
  raw?: string;
  headers?: Record<string, string>;
  /** The client address; a new one per call when absent. */
  client?: string;
  now?: string;
}

/** Settings that trust one proxy in front of the gateway (functions/_shared/client-identity.ts). */
export const BEHIND_REWRITE = { LOVE_CLIENT_IP_HEADER: "x-forwarded-for", LOVE_TRUSTED_PROXY_HOPS: "2" } as const;

/** The n-th made-up client address (10.0.0.1, 10.0.0.2, …, 10.0.1.0, …). */
export function clientAddress(n: number): string {
  return `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
}

let address = 0;
/** A client address no other call of this file has used. */
export function newClientAddress(): string {
  return clientAddress(++address);
}

export class StaffApi {
  readonly responses: StaffResponse[] = [];

  constructor(readonly baseUrl: string) {}

  async call(method: string, path: string, options: StaffCall = {}): Promise<StaffResponse> {
    const headers: Record<string, string> = { "X-Forwarded-For": options.client ?? newClientAddress() };
    let body: string | undefined;
    if (options.raw !== undefined) body = options.raw;
    else if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers["Content-Type"] = "application/json";
    }
    if (options.token) headers.Authorization = `Bearer ${options.token}`;
    if (options.cookie) headers.Cookie = options.cookie;
    if (options.now) headers["x-love-now"] = options.now;
    Object.assign(headers, options.headers);
    const url = path.startsWith("/admin/login") ? `${this.baseUrl}${path}` : `${this.baseUrl}/api/v1${path}`;
    const response = await fetch(url, { method, headers, body });
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    const result = { status: response.status, headers: response.headers, body: parsed, text };
    this.responses.push(result);
    return result;
  }

  get(path: string, options: StaffCall = {}) {
    return this.call("GET", path, options);
  }

  post(path: string, body: unknown, options: StaffCall = {}) {
    return this.call("POST", path, { ...options, body });
  }

  /** POST /admin/login as App.jsx sends it (form) or as JSON. */
  login(username: string, password: string, form = true, options: StaffCall = {}): Promise<StaffResponse> {
    if (!form) return this.call("POST", "/admin/login", { ...options, body: { username, password } });
    return this.call("POST", "/admin/login", {
      ...options,
      raw: new URLSearchParams({ username, password }).toString(),
      headers: { "Content-Type": "application/x-www-form-urlencoded", ...options.headers },
    });
  }

  async token(username: string, password: string): Promise<string> {
    const response = await this.login(username, password);
    if (response.status !== 200) throw new Error(`login failed: ${response.status} ${response.text}`);
    return response.body.token as string;
  }
}

/** Creates an admin directly in the database (bcrypt cost 4: tests only). */
export async function seedAdmin(sql: postgres.Sql, username: string, password: string, role: "admin" | "super_admin" = "admin") {
  const result = await createAdmin(sql, username, password, role, 4);
  if (!result.success) throw new Error(`seedAdmin ${username}: ${result.code}`);
  return result.admin!;
}

/** Every admin endpoint, with a body that passes validation. */
export const ADMIN_ENDPOINTS: { method: "GET" | "POST"; path: string; body?: unknown }[] = [
  { method: "GET", path: "/admin/status" },
  { method: "GET", path: "/admin/session" },
  { method: "POST", path: "/admin/set-call-interval", body: { clinic: "lab", interval_minutes: 5 } },
  { method: "GET", path: "/admin/call-interval?clinic=lab" },
  { method: "POST", path: "/queue/call", body: { clinic: "bones" } },
  { method: "GET", path: "/pin/status" },
  { method: "POST", path: "/pin/generate", body: { clinic: "bones" } },
  { method: "GET", path: "/stats/dashboard" },
  { method: "GET", path: "/stats/queues" },
  { method: "GET", path: "/reports/history" },
  { method: "GET", path: "/reports/daily" },
  { method: "GET", path: "/reports/weekly" },
  { method: "GET", path: "/reports/monthly" },
  { method: "GET", path: "/reports/annual" },
  { method: "GET", path: "/notify/status" },
  { method: "POST", path: "/admin/logout", body: {} },
];

const STACK_TRACE = /\bat [\w$.<>\[\] ]+ \(|\.ts:\d+:\d+|node_modules|file:\/\/\/|ext:deno|SUPABASE_DB_URL|postgres(ql)?:\/\//i;
export function hasStackTrace(text: string): boolean {
  return STACK_TRACE.test(text);
}
