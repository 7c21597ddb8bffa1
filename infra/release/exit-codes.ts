// The exit codes of `npm run deploy` and `npm run rollback`, so CI and people can tell outcomes apart.
export const EXIT = {
  /** Deployed and verified (and marked stable), or rolled back and verified, or nothing to do. */
  ok: 0,
  /** Refused before anything changed: dirty tree, failing tests, no monitoring proof, no stable marker... */
  refused: 1,
  /** Bad flags or stack name. */
  usage: 2,
  /** Deployed, smoke tests passed, but too little traffic to judge the 5xx ratio: not marked stable. */
  inconclusive: 3,
  /** The release failed (up or verification) and the stable release was redeployed and verified. */
  rolledBack: 4,
  /** The release failed and could not be rolled back (no stable release, or the rollback failed): page a human. */
  needsHuman: 5,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];
