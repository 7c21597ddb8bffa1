// Waiting until a project or branch can take the next steps: status ACTIVE_HEALTHY, then every service those
// steps need reporting ACTIVE_HEALTHY on /health. Settings applied earlier fail (terraform-provider-supabase#239).
import { isNotFound } from "./api/errors.ts";
import { type Clock, systemClock } from "./api/rate-limiter.ts";
import type { ProjectStatus, ServiceHealth, ServiceName } from "./api/types.ts";
import type { ManagementClient } from "./client.ts";

export interface WaitOptions {
  timeoutMs: number;
  pollIntervalMs: number;
  clock?: Clock;
}

/** Statuses a project does not leave by itself: waiting longer cannot help. */
const DEAD_ENDS: ReadonlySet<ProjectStatus> = new Set([
  "INACTIVE",
  "INIT_FAILED",
  "REMOVED",
  "GOING_DOWN",
  "PAUSING",
  "RESTORE_FAILED",
  "PAUSE_FAILED",
]);

export class NotReadyError extends Error {
  override readonly name = "NotReadyError";
}

type TargetKind = "project" | "branch";

export async function waitForProjectReady(
  client: ManagementClient,
  ref: string,
  services: readonly ServiceName[],
  options: WaitOptions,
): Promise<void> {
  await waitUntilReady("project", ref, async () => (await client.getProject(ref)).status, client, services, options);
}

export async function waitForBranchReady(
  client: ManagementClient,
  branchRef: string,
  services: readonly ServiceName[],
  options: WaitOptions,
): Promise<void> {
  const status = async (): Promise<ProjectStatus | undefined> => {
    try {
      return (await client.getBranch(branchRef)).status;
    } catch (error) {
      // A branch that was just created may not be visible yet.
      if (isNotFound(error)) return undefined;
      throw error;
    }
  };
  await waitUntilReady("branch", branchRef, status, client, services, options);
}

async function waitUntilReady(
  kind: TargetKind,
  ref: string,
  readStatus: () => Promise<ProjectStatus | undefined>,
  client: ManagementClient,
  services: readonly ServiceName[],
  options: WaitOptions,
): Promise<void> {
  const clock = options.clock ?? systemClock;
  const deadline = clock.now() + options.timeoutMs;
  const waited = () => formatDuration(options.timeoutMs);

  let status: ProjectStatus | undefined;
  for (;;) {
    status = await readStatus();
    if (status === "ACTIVE_HEALTHY") break;
    if (status && DEAD_ENDS.has(status)) {
      throw new NotReadyError(`Supabase ${kind} ${ref} is ${status}, which it will not leave by itself: ${advice(kind, ref, status)}`);
    }
    if (clock.now() + options.pollIntervalMs > deadline) {
      throw new NotReadyError(
        `Supabase ${kind} ${ref} is still ${status ?? "not visible"} after ${waited()} (expected ACTIVE_HEALTHY). ` +
          `Nothing was deleted. Check ${dashboardUrl(ref)}, then run the update again: ` +
          `the existing ${kind} is adopted by name.`,
      );
    }
    await clock.sleep(options.pollIntervalMs);
  }

  if (services.length === 0) return;
  let unhealthy: ServiceHealth[] = [];
  for (;;) {
    const health = await client.getServicesHealth(ref, services);
    unhealthy = services
      .map((name) => health.find((entry) => entry.name === name) ?? { name, status: "COMING_UP" as const, error: "not reported" })
      .filter((entry) => entry.status !== "ACTIVE_HEALTHY");
    if (unhealthy.length === 0) return;
    if (clock.now() + options.pollIntervalMs > deadline) {
      const detail = unhealthy.map((entry) => `${entry.name}=${entry.status}${entry.error ? ` (${entry.error})` : ""}`).join(", ");
      throw new NotReadyError(
        `Supabase ${kind} ${ref} is ACTIVE_HEALTHY but these services are not healthy after ${waited()}: ${detail}. ` +
          `Check ${dashboardUrl(ref)} and run the update again.`,
      );
    }
    await clock.sleep(options.pollIntervalMs);
  }
}

function advice(kind: TargetKind, ref: string, status: ProjectStatus): string {
  if (status === "INACTIVE" || status === "PAUSING") return `restore it from ${dashboardUrl(ref)} and run the update again`;
  if (status === "REMOVED" || status === "GOING_DOWN") {
    return `it is being deleted; remove it from the stack state (pulumi state delete) so a new ${kind} is created`;
  }
  return `see ${dashboardUrl(ref)}`;
}

function dashboardUrl(ref: string): string {
  return `https://supabase.com/dashboard/project/${ref}`;
}

function formatDuration(ms: number): string {
  if (ms >= 60_000) return `${Math.round(ms / 60_000)} min`;
  if (ms >= 1000) return `${Math.round(ms / 1000)} s`;
  return `${ms} ms`;
}
