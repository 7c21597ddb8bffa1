import type * as pulumi from "@pulumi/pulumi";
import { ALERT_RECEIVER_NAMES, type AlertReceiverName, isHttpsUrl } from "../monitoring/alertmanager.ts";
import type { ConfigReader, KeyReader } from "./reader.ts";

/** One receiver of monitoring/alertmanager.yml in the cluster: where it posts, and its bearer token. */
export interface AlertReceiverSettings {
  /** https URL without user:password (alertWebhookUrl / alertOncallUrl); plain, it lands in the chart values. */
  url: string;
  /** The bearer token (alertWebhookToken / alertOncallToken), a Pulumi secret. */
  token: pulumi.Output<string>;
}

/** Config keys of each Alertmanager receiver of monitoring/alertmanager.yml: its URL (plain) and bearer token (secret). */
export const ALERT_RECEIVER_KEYS: Readonly<Record<AlertReceiverName, { url: string; token: string }>> = {
  webhook: { url: "alertWebhookUrl", token: "alertWebhookToken" },
  oncall: { url: "alertOncallUrl", token: "alertOncallToken" },
};

/**
 * alertWebhookUrl + alertWebhookToken and alertOncallUrl + alertOncallToken: for each receiver, both or neither; the URL
 * https without user:password. A receiver without a URL is a null receiver in the cluster: a warning says which
 * alerts then go nowhere (all of them when neither is set).
 */
export function readAlertReceivers(
  stack: string,
  config: ConfigReader,
  problems: string[],
  warnings: string[],
  { text, setHint }: KeyReader,
): Partial<Record<AlertReceiverName, AlertReceiverSettings>> {
  const receivers: Partial<Record<AlertReceiverName, AlertReceiverSettings>> = {};
  const unset: AlertReceiverName[] = [];
  for (const receiver of ALERT_RECEIVER_NAMES) {
    const keys = ALERT_RECEIVER_KEYS[receiver];
    const receiverUrl = text(keys.url);
    const token = config.getSecret(keys.token);
    if (receiverUrl === undefined) {
      if (token) {
        problems.push(
          `${keys.url} is required with ${keys.token}: ${setHint(keys.url, `https://<${receiver} receiver>`)} ` +
            `(or remove ${keys.token}: pulumi config rm ${keys.token} --stack ${stack})`,
        );
      } else {
        unset.push(receiver);
      }
      continue;
    }
    // The URL is not echoed: one with user:password in it would print the credentials.
    const urlOk = isHttpsUrl(receiverUrl);
    if (!urlOk) problems.push(`${keys.url} must be an https URL without user:password in it (the bearer token goes in ${keys.token})`);
    if (!token) {
      problems.push(
        `${keys.token} is required with ${keys.url}: ${setHint(keys.token, "<bearer token the receiver expects>", true)} ` +
          `(or remove ${keys.url}: pulumi config rm ${keys.url} --stack ${stack})`,
      );
    }
    if (urlOk && token) receivers[receiver] = { url: receiverUrl, token };
  }

  const hint = (receiver: AlertReceiverName) =>
    `${setHint(ALERT_RECEIVER_KEYS[receiver].url, `https://<${receiver} receiver>`)} and ` +
    `${setHint(ALERT_RECEIVER_KEYS[receiver].token, "<bearer token>", true)}`;
  if (unset.length === ALERT_RECEIVER_NAMES.length) {
    warnings.push(
      `no Alertmanager receiver is configured on stack "${stack}": the cluster's Alertmanager has only null receivers, so ` +
        `High5xxErrorRate and every other alert go nowhere (neither to the release tool's rollback receiver nor to on-call): ` +
        `${hint("webhook")}; ${hint("oncall")}`,
    );
  } else {
    // A Record, so a receiver added to ALERT_RECEIVER_NAMES must say what its absence means.
    const consequence: Record<AlertReceiverName, string> = {
      webhook: "every alert's notification to the webhook (the release tool's alert-driven rollback) goes nowhere",
      oncall: "critical alerts (High5xxErrorRate, ScrapeTargetDown) page nobody",
    };
    for (const receiver of unset) {
      warnings.push(
        `${ALERT_RECEIVER_KEYS[receiver].url} is not set on stack "${stack}": the ${receiver} receiver is a null receiver, ` +
          `so ${consequence[receiver]}: ${hint(receiver)}`,
      );
    }
  }
  return receivers;
}

/**
 * alertReceivers (a list of strings that nothing ever used) was replaced by one URL and one token per receiver: a
 * stack still listing receivers there is refused, an empty list only earns a warning.
 */
export function checkLegacyAlertReceivers(stack: string, problems: string[], warnings: string[], { text, list }: KeyReader): void {
  if (text("alertReceivers") === undefined) return;
  const legacy = list("alertReceivers");
  const remove = `pulumi config rm alertReceivers --stack ${stack}`;
  if (legacy.length > 0) {
    problems.push(
      `alertReceivers is no longer read: each receiver of monitoring/alertmanager.yml has its own keys, ` +
        `alertWebhookUrl + alertWebhookToken (secret) and alertOncallUrl + alertOncallToken (secret); set those, then ${remove}`,
    );
  } else {
    warnings.push(`alertReceivers is no longer read (alertWebhookUrl / alertOncallUrl replace it): ${remove}`);
  }
}
