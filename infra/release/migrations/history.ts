// The migration history's one exception to forward-only: the baseline was restructured once, before any
// environment had applied it. Its old versions may never come back (a database that recorded them would hold our
// tables in `public`, next to production's legacy ones), so the lint refuses a file that reuses one.
export interface Rebaseline {
  on: string;
  reason: string;
  supersededVersions: readonly string[];
}

export const REBASELINES: readonly Rebaseline[] = [
  {
    on: "2026-12-01",
    reason:
      "tables moved from public into schema love, so nothing we own collides with production's 2025 tables or is exposed by PostgREST; no environment had applied the old files",
    supersededVersions: ["20251125190000", "20251125190100", "20251125200000", "20251125210000", "20251125220000"],
  },
];

export function supersededBy(version: string): Rebaseline | undefined {
  return REBASELINES.find((rebaseline) => rebaseline.supersededVersions.includes(version));
}
