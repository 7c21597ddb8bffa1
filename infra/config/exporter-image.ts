import type { StackKind } from "./stack-kind.ts";

/** An OCI image reference as Docker parses it: [registry[:port]/]repository[:tag][@algorithm:hex]. */
const IMAGE_REFERENCE = new RegExp(
  "^" +
    "(?:(?<registry>(?:localhost|[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)+)(?::\\d+)?|[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?:\\d+)/)?" +
    "(?<repository>[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*)" +
    "(?::(?<tag>[\\w][\\w.-]{0,127}))?" +
    "(?:@(?<digest>[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}))?" +
    "$",
);
const PINNED_DIGEST = /^(?:sha256:[0-9a-f]{64}|sha512:[0-9a-f]{128})$/;

/**
 * The exporter image must parse as an image reference. Pinned by digest is the goal: a digest is what the release
 * tool's rollback brings back exactly, and a changed digest is what makes Pulumi roll the Deployment. So:
 * - not a reference, an untagged reference or :latest (without a digest): refused on every stack;
 * - a tag without a digest: refused on prod, a warning on staging and previews;
 * - a digest that is not sha256:<64 hex> or sha512:<128 hex>: refused.
 */
export function checkExporterImage(
  image: string,
  kind: StackKind,
  problems: string[],
  warnings: string[],
  setHint: (key: string, example: string, secret?: boolean) => string,
): void {
  const fix = setHint("logDrainExporterImage", "<registry>/love-log-drain-exporter@sha256:<digest>");
  const match = IMAGE_REFERENCE.exec(image);
  if (!match?.groups) {
    problems.push(`logDrainExporterImage "${image}" is not an image reference ([registry/]repository[:tag][@sha256:<digest>]): ${fix}`);
    return;
  }
  const { tag, digest } = match.groups;
  if (digest !== undefined) {
    if (!PINNED_DIGEST.test(digest)) problems.push(`logDrainExporterImage "${image}": the digest must be sha256:<64 lower-case hex digits> (or sha512:<128>): ${fix}`);
    return;
  }
  if (tag === undefined || tag === "latest") {
    problems.push(
      `logDrainExporterImage "${image}" is ${tag === undefined ? "untagged" : ":latest"}: a moving tag neither redeploys when ` +
        `it moves nor rolls back; pin it by digest: ${fix}`,
    );
  } else if (kind === "prod") {
    problems.push(`logDrainExporterImage "${image}" must be pinned by digest on prod (a tag can be moved; a rollback must bring back the same exporter): ${fix}`);
  } else {
    warnings.push(`logDrainExporterImage "${image}" is pinned by tag only; prod refuses that, so pin it by digest: ${fix}`);
  }
}
