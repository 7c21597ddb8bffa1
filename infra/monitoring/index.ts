// infra/monitoring: kube-prometheus-stack and love-backend's rule, dashboard, Supabase scrape config and
// log-drain exporter, as one component the Pulumi program (infra/index.ts) composes.
export { MonitoringStack, type MonitoringStackArgs } from "./stack.ts";
export {
  EXPORTER,
  KUBE_PROMETHEUS_STACK_VERSION,
  OPERATOR_CRDS_VERSION,
  RELEASE_NAME,
  kubePrometheusStackValues,
  serviceUrls,
} from "./manifests.ts";
