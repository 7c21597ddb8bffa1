// The first admin: both keys or neither, the user name and password checked, the password never echoed.
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { parseStackConfig } from "./index.ts";
import { PREVIEW, problemsOf, reader, valueOf } from "./test-support.ts";

describe("first admin (adminBootstrapUsername + adminBootstrapPassword)", () => {
  const PREVIEW_SECRETS = { supabaseAccessToken: "t" };
  const PASSWORD = "correct horse battery staple";

  it("has no first admin when neither key is set", () => {
    expect(parseStackConfig("pr-7", reader(PREVIEW, PREVIEW_SECRETS)).supabase.adminBootstrap).toBeUndefined();
  });

  it("reads the user name and the password, the password as a Pulumi secret that no function receives", async () => {
    const config = parseStackConfig(
      "pr-7",
      reader({ ...PREVIEW, adminBootstrapUsername: " love.admin " }, { ...PREVIEW_SECRETS, adminBootstrapPassword: PASSWORD, cacheUrl: "redis://cache" }),
    );
    const admin = config.supabase.adminBootstrap;
    if (!admin) throw new Error("expected the first admin's settings");
    expect(admin.username).toBe("love.admin");
    expect(await pulumi.isSecret(admin.password)).toBe(true);
    expect(await valueOf(admin.password)).toBe(PASSWORD);
    // The password goes to AdminBootstrap only: no function secret carries it.
    expect(await valueOf(config.supabase.functionSecrets)).toEqual({ CACHE_URL: "redis://cache" });
  });

  it("wants both keys or neither, naming the command that sets the missing one", () => {
    expect(problemsOf(() => parseStackConfig("pr-7", reader(PREVIEW, { ...PREVIEW_SECRETS, adminBootstrapPassword: PASSWORD })))).toEqual([
      "adminBootstrapUsername is required with adminBootstrapPassword: pulumi config set adminBootstrapUsername <first admin's user name> --stack pr-7 " +
        "(or remove adminBootstrapPassword: pulumi config rm adminBootstrapPassword --stack pr-7)",
    ]);
    expect(problemsOf(() => parseStackConfig("pr-7", reader({ ...PREVIEW, adminBootstrapUsername: "love.admin" }, PREVIEW_SECRETS)))).toEqual([
      "adminBootstrapPassword is required with adminBootstrapUsername: pulumi config set --secret adminBootstrapPassword <first admin's password> --stack pr-7 " +
        "(or remove adminBootstrapUsername: pulumi config rm adminBootstrapUsername --stack pr-7)",
    ]);
  });

  it("checks the user name against USERNAME_PATTERN and the password against the admins' policy, never echoing the password", () => {
    const badName = problemsOf(() =>
      parseStackConfig("pr-7", reader({ ...PREVIEW, adminBootstrapUsername: "a b" }, { ...PREVIEW_SECRETS, adminBootstrapPassword: PASSWORD })),
    );
    expect(badName).toEqual([expect.stringMatching(/^adminBootstrapUsername must match .* got "a b": pulumi config set adminBootstrapUsername/)]);

    for (const [password, reason] of [
      ["short-pw-1", "the password must have at least 12 characters"],
      ["my-love.admin-password", "the password must not contain the user name"],
      ["aaaaaaaaaaaabbbb", 'the password is too easy to guess (about 10^4 guesses, 10^10 needed: Repeated characters like "aaa" are easy to guess; Add more words that are less common)'],
      ["é".repeat(40), "the password must be at most 72 bytes (bcrypt ignores the rest)"],
    ] as const) {
      const problems = problemsOf(() =>
        parseStackConfig("pr-7", reader({ ...PREVIEW, adminBootstrapUsername: "love.admin" }, { ...PREVIEW_SECRETS, adminBootstrapPassword: password })),
      );
      expect(problems).toEqual([
        `adminBootstrapPassword: ${reason}: pulumi config set --secret adminBootstrapPassword <another password> --stack pr-7`,
      ]);
      expect(problems.join("\n")).not.toContain(password);
    }
  });
});
