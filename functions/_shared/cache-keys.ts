// The cache keys, named as the owner's directive and the old KV schema name them.

export const cacheKeys = {
  queueList: (clinic: string) => `queue:list:${clinic}`,
  queueStatus: (clinic: string) => `queue:status:${clinic}`,
  statsQueues: "stats:queues",
  statsDashboard: "stats:dashboard",
  pinsCurrent: "pins:current",
  pinsDaily: (pinDay: string) => `pins:daily:${pinDay}`,
  route: (patient: string) => `route:${patient}`,
} as const;

/** What a queue write makes stale: the directive's four keys. */
export function queueKeys(clinic: string): string[] {
  return [cacheKeys.queueList(clinic), cacheKeys.queueStatus(clinic), cacheKeys.statsQueues, cacheKeys.statsDashboard];
}
