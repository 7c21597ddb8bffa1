// infra/monitoring: kube-prometheus-stack and love-backend's rule, dashboard, Supabase scrape config and
// log-drain exporter, and the Alertmanager's receivers, as one component the Pulumi program (infra/index.ts) composes.
export { type AlertReceiverTarget, MonitoringStack, type MonitoringStackArgs } from "./stack.ts";
export {
  ALERT_RECEIVER_NAMES,
  ALERT_RECEIVERS_SECRET,
  ALERTMANAGER_FILE,
  ALERTMANAGER_SECRETS_DIR,
  type AlertReceiverName,
  clusterAlertmanagerConfig,
  isHttpsUrl,
  NULL_RECEIVER,
  NULL_ROUTED_ALERTS,
} from "./alertmanager.ts";
export {
  EXPORTER,
  KUBE_PROMETHEUS_STACK_VERSION,
  OPERATOR_CRDS_VERSION,
  RELEASE_NAME,
  kubePrometheusStackValues,
  serviceUrls,
  tokenChecksum,
} from "./manifests.ts";
