// Stack names: staging, prod and pr-<n> only.
import { describe, expect, it } from "vitest";
import { parseStackConfig } from "./index.ts";
import { stackKindOf } from "./stack-kind.ts";
import { DEFAULTS, reader } from "./test-support.ts";

describe("stack names", () => {
  it("accepts staging, prod and pr-<number> only", () => {
    expect(stackKindOf("staging")).toEqual({ kind: "staging" });
    expect(stackKindOf("pr-42")).toEqual({ kind: "preview", prNumber: 42 });
    expect(stackKindOf("pr-0")).toBeUndefined();
    expect(stackKindOf("feature-x")).toBeUndefined();
    expect(() => parseStackConfig("dev", reader(DEFAULTS))).toThrow(/unknown stack name: expected staging, prod or pr-<PR number>/);
  });
});
