// The Alertmanager receivers: each URL with its bearer token, and the warnings when alerts go nowhere.
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { parseStackConfig } from "./index.ts";
import { MONITORING, MONITORING_SECRETS, problemsOf, reader, RECEIVER_SECRETS, RECEIVERS, STAGING, STAGING_SECRETS, valueOf } from "./test-support.ts";

describe("alert receivers", () => {
  it("reads each Alertmanager receiver's URL and bearer token, the token as a Pulumi secret", async () => {
    const config = parseStackConfig(
      "staging",
      reader(
        { ...STAGING, ...MONITORING, ...RECEIVERS, logDrainHost: "drain.example.org" },
        { ...STAGING_SECRETS, ...MONITORING_SECRETS, ...RECEIVER_SECRETS },
      ),
    );
    if (!config.monitoring.enabled) throw new Error("monitoring should be on for staging");
    const { webhook, oncall } = config.monitoring.alertReceivers;
    expect([webhook?.url, oncall?.url]).toEqual([RECEIVERS.alertWebhookUrl, RECEIVERS.alertOncallUrl]);
    for (const [token, value] of [[webhook?.token, RECEIVER_SECRETS.alertWebhookToken], [oncall?.token, RECEIVER_SECRETS.alertOncallToken]] as const) {
      if (!token) throw new Error("token missing");
      expect(await pulumi.isSecret(token)).toBe(true);
      expect(await valueOf(token)).toBe(value);
    }
    expect(config.warnings).toEqual([]);
  });

  it("wants receiver URLs https without credentials, each with its token and each token with its URL, all in one report", () => {
    const problems = problemsOf(() =>
      parseStackConfig(
        "staging",
        reader(
          {
            ...STAGING,
            ...MONITORING,
            logDrainHost: "drain.example.org",
            alertWebhookUrl: "http://release.example.org/alerts/webhook",
            alertOncallUrl: "https://oncall.example.org/hook",
          },
          { ...STAGING_SECRETS, ...MONITORING_SECRETS, alertWebhookToken: "t" },
        ),
      ),
    );
    expect(problems).toEqual([
      "alertWebhookUrl must be an https URL without user:password in it (the bearer token goes in alertWebhookToken)",
      "alertOncallToken is required with alertOncallUrl: pulumi config set --secret alertOncallToken <bearer token the receiver expects> --stack staging " +
        "(or remove alertOncallUrl: pulumi config rm alertOncallUrl --stack staging)",
    ]);

    const credentialsInUrl = problemsOf(() =>
      parseStackConfig(
        "staging",
        reader(
          { ...STAGING, ...MONITORING, ...RECEIVERS, alertOncallUrl: "https://user:s3cr3t-in-url@oncall.example.org/hook" },
          { ...STAGING_SECRETS, ...MONITORING_SECRETS, ...RECEIVER_SECRETS },
        ),
      ),
    );
    expect(credentialsInUrl).toEqual([expect.stringContaining("alertOncallUrl must be an https URL without user:password")]);
    expect(credentialsInUrl.join("\n"), "the URL with credentials is not echoed").not.toContain("s3cr3t-in-url");

    const tokenOnly = problemsOf(() =>
      parseStackConfig(
        "staging",
        reader({ ...STAGING, ...MONITORING }, { ...STAGING_SECRETS, ...MONITORING_SECRETS, alertWebhookToken: "t" }),
      ),
    );
    expect(tokenOnly).toEqual([
      "alertWebhookUrl is required with alertWebhookToken: pulumi config set alertWebhookUrl https://<webhook receiver> --stack staging " +
        "(or remove alertWebhookToken: pulumi config rm alertWebhookToken --stack staging)",
    ]);
  });

  it("warns which alerts go nowhere when a receiver has no URL", () => {
    const warningsWith = (values: Record<string, string>, secrets: Record<string, string>) =>
      parseStackConfig(
        "prod",
        reader({ ...STAGING, ...MONITORING, logDrainHost: "drain.example.org", ...values }, { ...STAGING_SECRETS, ...MONITORING_SECRETS, ...secrets }),
      ).warnings;
    expect(warningsWith({}, {})).toEqual([
      'no Alertmanager receiver is configured on stack "prod": the cluster\'s Alertmanager has only null receivers, so High5xxErrorRate ' +
        "and every other alert go nowhere (neither to the release tool's rollback receiver nor to on-call): " +
        "pulumi config set alertWebhookUrl https://<webhook receiver> --stack prod and pulumi config set --secret alertWebhookToken <bearer token> --stack prod; " +
        "pulumi config set alertOncallUrl https://<oncall receiver> --stack prod and pulumi config set --secret alertOncallToken <bearer token> --stack prod",
    ]);
    expect(warningsWith({ alertWebhookUrl: RECEIVERS.alertWebhookUrl }, { alertWebhookToken: "t" })).toEqual([
      expect.stringMatching(/^alertOncallUrl is not set on stack "prod": the oncall receiver is a null receiver, so critical alerts .* page nobody/),
    ]);
    expect(warningsWith({ alertOncallUrl: RECEIVERS.alertOncallUrl }, { alertOncallToken: "t" })).toEqual([
      expect.stringMatching(/^alertWebhookUrl is not set on stack "prod": .*the release tool's alert-driven rollback\) goes nowhere/),
    ]);
  });

  it("no longer reads alertReceivers: entries are refused with the keys that replace it, an empty list earns a warning", () => {
    const withEntries = problemsOf(() =>
      parseStackConfig(
        "staging",
        reader(
          { ...STAGING, ...MONITORING, ...RECEIVERS, logDrainHost: "drain.example.org", alertReceivers: '["oncall@example.org"]' },
          { ...STAGING_SECRETS, ...MONITORING_SECRETS, ...RECEIVER_SECRETS },
        ),
      ),
    );
    expect(withEntries).toEqual([
      "alertReceivers is no longer read: each receiver of monitoring/alertmanager.yml has its own keys, alertWebhookUrl + alertWebhookToken (secret) " +
        "and alertOncallUrl + alertOncallToken (secret); set those, then pulumi config rm alertReceivers --stack staging",
    ]);
    const empty = parseStackConfig(
      "staging",
      reader(
        { ...STAGING, ...MONITORING, ...RECEIVERS, logDrainHost: "drain.example.org", alertReceivers: "[]" },
        { ...STAGING_SECRETS, ...MONITORING_SECRETS, ...RECEIVER_SECRETS },
      ),
    );
    expect(empty.warnings).toEqual(["alertReceivers is no longer read (alertWebhookUrl / alertOncallUrl replace it): pulumi config rm alertReceivers --stack staging"]);
  });
});
