// The cluster Alertmanager's configuration, rendered from monitoring/alertmanager.yml (one source of truth for the
// routing): the file's route tree, matchers and receiver names are kept as they are; only what is local to the file
// is replaced: each receiver's URL (the stack's, from config) and its bearer token's credentials_file (a key of a
// Kubernetes Secret that alertmanager.alertmanagerSpec.secrets mounts into the Alertmanager pod at
// /etc/alertmanager/secrets/<secret>/<key>). No token is ever part of the rendered configuration, which becomes
// chart values (and so Helm values and Pulumi state in clear).
//
// Added to the file's routing, for the chart's own alerts:
// - `Watchdog` (always firing, the dead man's switch of kube-prometheus-stack's default rules) and `InfoInhibitor`
//   (a helper alert that only exists to inhibit info alerts) go to a `null` receiver, as the chart's default
//   configuration does. They are matched first and without `continue`, so neither reaches `webhook` or `oncall`.
// - The chart's default inhibit rules, restated (a list in our values replaces the chart's list, and restating them
//   keeps the whole configuration visible here).
// A receiver of the file without a configured URL is rendered with no integration at all: a null receiver. Alerts
// routed to it are visible in Alertmanager and go nowhere (the component warns).
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";

export const ALERTMANAGER_FILE = fileURLToPath(new URL("../../monitoring/alertmanager.yml", import.meta.url));

/** The receivers of monitoring/alertmanager.yml, each with its own URL and token keys in the stack config. */
export const ALERT_RECEIVER_NAMES = ["webhook", "oncall"] as const;
export type AlertReceiverName = (typeof ALERT_RECEIVER_NAMES)[number];

/** The receiver without integrations that the chart's helper alerts go to. */
export const NULL_RECEIVER = "null";
/** The chart's helper alerts that must never page or reach the rollback webhook. */
export const NULL_ROUTED_ALERTS = ["Watchdog", "InfoInhibitor"] as const;
/** Where the Prometheus operator mounts each Secret listed in alertmanagerSpec.secrets. */
export const ALERTMANAGER_SECRETS_DIR = "/etc/alertmanager/secrets";
/** The Kubernetes Secret holding the receivers' bearer tokens (one key per receiver with a URL). */
export const ALERT_RECEIVERS_SECRET = "love-monitoring-alertmanager-receivers";

/** kube-prometheus-stack's default inhibit rules (charts/kube-prometheus-stack/values.yaml, alertmanager.config). */
export const CHART_INHIBIT_RULES: readonly Record<string, unknown>[] = [
  { source_matchers: ["severity = critical"], target_matchers: ["severity =~ warning|info"], equal: ["namespace", "alertname"] },
  { source_matchers: ["severity = warning"], target_matchers: ["severity = info"], equal: ["namespace", "alertname"] },
  { source_matchers: ["alertname = InfoInhibitor"], target_matchers: ["severity = info"], equal: ["namespace"] },
  { target_matchers: ["alertname = InfoInhibitor"] },
];
/** The chart's default notification templates (mounted from the Alertmanager config Secret). */
export const CHART_TEMPLATES: readonly string[] = ["/etc/alertmanager/config/*.tmpl"];

export interface Route {
  receiver?: string;
  matchers?: string[];
  continue?: boolean;
  routes?: Route[];
  [key: string]: unknown;
}

interface WebhookConfig {
  url: string;
  http_config?: { authorization?: { type?: string; credentials_file?: string; [key: string]: unknown }; [key: string]: unknown };
  [key: string]: unknown;
}

export interface Receiver {
  name: string;
  webhook_configs?: WebhookConfig[];
  [key: string]: unknown;
}

export interface AlertmanagerFile {
  global?: Record<string, unknown>;
  route: Route;
  receivers: Receiver[];
  inhibit_rules?: Record<string, unknown>[];
  [key: string]: unknown;
}

export interface ClusterAlertmanagerOptions {
  /** Receiver name (of the file) → its URL. Receivers without one become null receivers. */
  urls: Partial<Record<string, string>>;
  /** The Secret mounted through alertmanagerSpec.secrets; default ALERT_RECEIVERS_SECRET. */
  secretName?: string;
  /** Default monitoring/alertmanager.yml. */
  file?: string;
}

export interface ClusterAlertmanager {
  /** alertmanager.config of the chart values: plain data, URLs but no token. */
  config: AlertmanagerFile & { route: Route; inhibit_rules: Record<string, unknown>[]; templates: string[] };
  /** Receiver name → key of the Secret its token must be stored under (only receivers with a URL). */
  secretKeys: Partial<Record<string, string>>;
  /** Receivers of the file rendered without integrations, because no URL was given for them. */
  unconfigured: string[];
}

export function readAlertmanagerFile(file: string = ALERTMANAGER_FILE): AlertmanagerFile {
  const parsed = parse(readFileSync(file, "utf8")) as Partial<AlertmanagerFile> | null;
  if (!parsed?.route || !Array.isArray(parsed.receivers)) throw new Error(`${file}: expected a route and a list of receivers`);
  return parsed as AlertmanagerFile;
}

/** An absolute https URL with a host and no user:password (tokens go through the mounted Secret, never the URL). */
export function isHttpsUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === "https:" && url.hostname !== "" && url.username === "" && url.password === "";
  } catch {
    return false;
  }
}

/** The routes sending the chart's helper alerts to the null receiver. */
export function nullRoutes(): Route[] {
  return NULL_ROUTED_ALERTS.map((alertname) => ({ receiver: NULL_RECEIVER, matchers: [`alertname="${alertname}"`] }));
}

/**
 * Renders the cluster's Alertmanager configuration from monitoring/alertmanager.yml. Throws when a URL is given for a
 * receiver the file does not have, when the file already uses the name `null`, or when a receiver of the file is not
 * exactly one webhook with a bearer credentials_file (the shape whose URL and token this replaces).
 */
export function clusterAlertmanagerConfig(options: ClusterAlertmanagerOptions): ClusterAlertmanager {
  const file = options.file ?? ALERTMANAGER_FILE;
  const secretName = options.secretName ?? ALERT_RECEIVERS_SECRET;
  const source = readAlertmanagerFile(file);
  const names = source.receivers.map((receiver) => receiver.name);
  if (names.includes(NULL_RECEIVER)) throw new Error(`${file}: the receiver name "${NULL_RECEIVER}" is reserved for the chart's helper alerts`);
  for (const [name, url] of Object.entries(options.urls)) {
    if (!names.includes(name)) throw new Error(`no receiver "${name}" in ${file} (it has ${names.join(", ")})`);
    if (url !== undefined && !isHttpsUrl(url)) throw new Error(`the URL of receiver "${name}" must be an https URL without credentials`);
  }

  const secretKeys: Partial<Record<string, string>> = {};
  const unconfigured: string[] = [];
  const receivers: Receiver[] = source.receivers.map((receiver) => {
    const hooks = receiver.webhook_configs ?? [];
    const [hook] = hooks;
    const credentials = hook?.http_config?.authorization?.credentials_file;
    if (hooks.length !== 1 || !hook || !credentials || Object.keys(receiver).some((key) => key !== "name" && key !== "webhook_configs")) {
      throw new Error(`${file}: receiver "${receiver.name}" must be exactly one webhook_config with http_config.authorization.credentials_file`);
    }
    const url = options.urls[receiver.name];
    if (url === undefined) {
      unconfigured.push(receiver.name);
      return { name: receiver.name };
    }
    const key = path.posix.basename(credentials);
    secretKeys[receiver.name] = key;
    return {
      ...receiver,
      webhook_configs: [
        {
          ...hook,
          url,
          http_config: {
            ...hook.http_config,
            authorization: { ...hook.http_config?.authorization, credentials_file: `${ALERTMANAGER_SECRETS_DIR}/${secretName}/${key}` },
          },
        },
      ],
    };
  });

  return {
    config: {
      ...source,
      route: { ...source.route, routes: [...nullRoutes(), ...(source.route.routes ?? [])] },
      inhibit_rules: source.inhibit_rules ?? CHART_INHIBIT_RULES.map((rule) => structuredClone(rule)),
      receivers: [{ name: NULL_RECEIVER }, ...receivers],
      templates: [...CHART_TEMPLATES],
    },
    secretKeys,
    unconfigured,
  };
}
