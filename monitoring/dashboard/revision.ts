// The dashboard's revision: a hash of its content, carried as the tag `revision:<hash>`. Grafana keeps its own
// `version` counter (bumped on every save or re-provisioning, never the file's), so the monitoring proof compares
// this tag of the dashboard Grafana serves with the revision of monitoring/grafana-dashboard.json instead.
import { createHash } from "node:crypto";

export const REVISION_TAG_PREFIX = "revision:";

interface Tagged {
  tags?: string[];
}

const otherTags = (model: Tagged): string[] => (model.tags ?? []).filter((tag) => !tag.startsWith(REVISION_TAG_PREFIX));

/** The content hash (12 hex digits) of a dashboard model, ignoring its own revision tag. */
export function dashboardRevision(model: Tagged): string {
  return createHash("sha256").update(JSON.stringify({ ...model, tags: otherTags(model) })).digest("hex").slice(0, 12);
}

/** The revision a dashboard model says it is (its `revision:` tag), or undefined when it has none. */
export function revisionTagOf(model: Tagged): string | undefined {
  return (model.tags ?? []).find((tag) => tag.startsWith(REVISION_TAG_PREFIX))?.slice(REVISION_TAG_PREFIX.length);
}

/** The model with its revision tag set (replacing any old one), last among the tags. */
export function withRevisionTag<T extends Tagged>(model: T): T {
  return { ...model, tags: [...otherTags(model), `${REVISION_TAG_PREFIX}${dashboardRevision(model)}`] };
}
