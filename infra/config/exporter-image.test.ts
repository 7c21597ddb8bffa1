// The log-drain exporter image: pinned by digest on prod, never untagged or :latest.
import { describe, expect, it } from "vitest";
import { parseStackConfig } from "./index.ts";
import { DIGEST, IMAGE, MONITORING_SECRETS, problemsOf, reader, RECEIVER_SECRETS, RECEIVERS, STAGING, STAGING_SECRETS } from "./test-support.ts";

describe("exporter image", () => {
  it("takes exporter images pinned by digest, warns about a tag on staging, refuses it on prod, refuses :latest and non-references", () => {
    const parse = (stack: "staging" | "prod", image: string) => () =>
      parseStackConfig(
        stack,
        reader(
          { ...STAGING, ...RECEIVERS, logDrainExporterImage: image, logDrainHost: "drain.example.org" },
          { ...STAGING_SECRETS, ...MONITORING_SECRETS, ...RECEIVER_SECRETS },
        ),
      );

    for (const image of [IMAGE, `localhost:5000/exporter:1.0@${DIGEST}`, `exporter@${DIGEST}`, `registry.example.org/a/b/c@sha512:${"c".repeat(128)}`]) {
      expect(parse("prod", image)().warnings, image).toEqual([]);
    }

    const tagged = "ghcr.io/love-org/love-log-drain-exporter:1.4.0";
    expect(parse("staging", tagged)().warnings).toEqual([expect.stringContaining(`"${tagged}" is pinned by tag only; prod refuses that`)]);
    expect(problemsOf(parse("prod", tagged))).toEqual([expect.stringContaining(`"${tagged}" must be pinned by digest on prod`)]);

    expect(problemsOf(parse("staging", "ghcr.io/love-org/love-log-drain-exporter"))).toEqual([expect.stringContaining("is untagged")]);
    expect(problemsOf(parse("staging", "ghcr.io/love-org/love-log-drain-exporter:latest"))).toEqual([expect.stringContaining("is :latest")]);
    for (const image of ["https://ghcr.io/love/exporter", "ghcr.io/Love/Exporter:1", "love exporter:1", "exporter@sha256:xyz", "ghcr.io/love/exporter:"]) {
      expect(problemsOf(parse("staging", image)), image).toEqual([expect.stringContaining("is not an image reference")]);
    }
    expect(problemsOf(parse("staging", `exporter@sha256:${"ab".repeat(20)}`))).toEqual([expect.stringContaining("the digest must be sha256:<64")]);
  });
});
