import { describe, expect, it } from "vitest";
import { displayUrl, redact, secretValuesFromEnv } from "./redact.ts";
import { createReporter } from "./reporter.ts";

describe("keeping secrets out of the output", () => {
  it("masks values of secret-looking variables and URL credentials", () => {
    const secrets = secretValuesFromEnv({ SUPABASE_ACCESS_TOKEN: "sbp_abcdef123456", PULUMI_CONFIG_PASSPHRASE: "correct horse", STACK: "prod", SHORT_TOKEN: "abc" });
    expect(secrets).toEqual(["sbp_abcdef123456", "correct horse"]);
    const line = "login with sbp_abcdef123456 to https://user:pa55@prom.example/api and passphrase correct horse on prod abc";
    expect(redact(line, secrets)).toBe("login with *** to https://***@prom.example/api and passphrase *** on prod abc");
  });

  it("prints URLs without credentials or query strings", () => {
    expect(displayUrl("https://svc:secret@prom.example:9090/prefix/?token=x")).toBe("https://prom.example:9090/prefix");
    expect(displayUrl("not a url")).toBe("<invalid URL>");
  });

  it("the reporter masks every line, child-process output included", () => {
    const lines: string[] = [];
    const reporter = createReporter({ prefix: "deploy prod", write: (line) => lines.push(line), env: { PROMETHEUS_BEARER_TOKEN: "tok-999999" }, now: () => 0 });
    reporter.step("pulumi up");
    reporter.output("using bearer tok-999999");
    reporter.addSecret("late-secret-value");
    reporter.info("late-secret-value appeared");
    reporter.ok();
    expect(lines).toEqual([
      "[deploy prod] step 1: pulumi up",
      "[deploy prod]   | using bearer ***",
      "[deploy prod] *** appeared",
      "[deploy prod]   ok pulumi up (0.0s)",
    ]);
  });
});
