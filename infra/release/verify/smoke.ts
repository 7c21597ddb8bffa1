// Smoke tests against a deployed API: read-only GETs of the frontend contract (reference/love-contract.md rows 3, 4
// and 15). `baseUrl` is the stack output apiBaseUrl, i.e. <SUPABASE_URL>/functions/v1, which the frontend host
// reaches through its /api/v1/(.*) rewrite.

export interface SmokeCheck {
  name: string;
  /** Relative to apiBaseUrl. */
  path: string;
  status: number;
  /** Returns a problem, or undefined when the body is right. */
  body(json: Record<string, unknown>, context: { commit: string }): string | undefined;
}

const SHA_PREFIX = /^[0-9a-f]{7,40}$/;

export const SMOKE_CHECKS: readonly SmokeCheck[] = [
  {
    name: "health",
    path: "health/status",
    status: 200,
    body(json, { commit }) {
      if (json.success !== true) return `success is ${JSON.stringify(json.success)}, expected true`;
      // The functions report LOVE_RELEASE as `version`; when it is a commit, it must be the one just deployed.
      const version = typeof json.version === "string" ? json.version : undefined;
      if (version && SHA_PREFIX.test(version) && !commit.startsWith(version)) {
        return `the API reports release ${version}, expected ${commit.slice(0, 12)}: the new functions are not serving`;
      }
      return undefined;
    },
  },
  {
    name: "queue status (contract row 4)",
    path: "queue/status?clinic=lab",
    status: 200,
    body: (json) => (json.success === true ? undefined : `success is ${JSON.stringify(json.success)}, expected true`),
  },
  {
    name: "queue position of an absent user (contract row 3: 404 \"User not in queue\")",
    path: "queue/position?clinic=lab&user=release-smoke-probe",
    status: 404,
    body: (json) =>
      json.success === false && json.error === "User not in queue"
        ? undefined
        : `expected {success:false, error:"User not in queue"}, got success=${JSON.stringify(json.success)} error=${JSON.stringify(json.error)}`,
  },
];

export interface SmokeResult {
  name: string;
  ok: boolean;
  detail: string;
}

export async function runSmokeCheck(
  baseUrl: string,
  check: SmokeCheck,
  commit: string,
  timeoutMs: number,
  fetchImpl: typeof fetch = fetch,
): Promise<SmokeResult> {
  const url = `${baseUrl.replace(/\/+$/, "")}/${check.path}`;
  let response: Response;
  try {
    response = await fetchImpl(url, { signal: AbortSignal.timeout(timeoutMs), headers: { accept: "application/json" } });
  } catch (error) {
    return { name: check.name, ok: false, detail: `GET ${check.path}: ${(error as Error).name === "TimeoutError" ? `no answer in ${timeoutMs} ms` : (error as Error).message}` };
  }
  const text = await response.text();
  if (response.status !== check.status) {
    return { name: check.name, ok: false, detail: `GET ${check.path}: HTTP ${response.status}, expected ${check.status}` };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { name: check.name, ok: false, detail: `GET ${check.path}: the body is not JSON` };
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    return { name: check.name, ok: false, detail: `GET ${check.path}: the body is not a JSON object` };
  }
  const problem = check.body(json as Record<string, unknown>, { commit });
  return problem
    ? { name: check.name, ok: false, detail: `GET ${check.path}: ${problem}` }
    : { name: check.name, ok: true, detail: `GET ${check.path}: HTTP ${response.status}` };
}

export interface SmokeOptions {
  baseUrl: string;
  commit: string;
  attempts: number;
  intervalMs: number;
  timeoutMs: number;
  checks?: readonly SmokeCheck[];
  fetchImpl?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
  onAttempt?: (attempt: number, results: SmokeResult[]) => void;
}

/** Runs every check; retries the whole set (functions take a moment to go live) until all pass or attempts run out. */
export async function runSmokeTests(options: SmokeOptions): Promise<{ ok: boolean; results: SmokeResult[] }> {
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  let results: SmokeResult[] = [];
  for (let attempt = 1; attempt <= Math.max(1, options.attempts); attempt++) {
    results = [];
    for (const check of options.checks ?? SMOKE_CHECKS) {
      results.push(await runSmokeCheck(options.baseUrl, check, options.commit, options.timeoutMs, options.fetchImpl));
    }
    options.onAttempt?.(attempt, results);
    if (results.every((result) => result.ok)) return { ok: true, results };
    if (attempt < options.attempts) await sleep(options.intervalMs);
  }
  return { ok: false, results };
}
