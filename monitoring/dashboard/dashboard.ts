// The love-backend dashboard as code (@grafana/grafana-foundation-sdk). `npm run monitoring:dashboard` writes
// it to monitoring/grafana-dashboard.json; a test fails when that file drifts from buildDashboard().
// Pure: no I/O, no clock, no randomness, so the JSON is stable and a Pulumi component can ship the same
// object as a ConfigMap for the Grafana sidecar or as a Grafana API dashboard.
import * as common from "@grafana/grafana-foundation-sdk/common";
import {
  DashboardBuilder,
  MappingType,
  QueryVariableBuilder,
  RowBuilder,
  ThresholdsConfigBuilder,
  ThresholdsMode,
  VariableRefresh,
  VariableSort,
  type Dashboard,
  type Threshold,
} from "@grafana/grafana-foundation-sdk/dashboard";
import * as prometheus from "@grafana/grafana-foundation-sdk/prometheus";
import * as stat from "@grafana/grafana-foundation-sdk/stat";
import * as statetimeline from "@grafana/grafana-foundation-sdk/statetimeline";
import * as timeseries from "@grafana/grafana-foundation-sdk/timeseries";
import { ERROR_RATIO_EXPR, ERROR_RATIO_THRESHOLD, HIGH_5XX_ALERT } from "../rules.ts";
import { withRevisionTag } from "./revision.ts";

export const DASHBOARD_UID = "love-backend-overview";
export const DASHBOARD_TITLE = "love-backend: availability, latency, breakers, queues";
/** kube-prometheus-stack provisions its Prometheus datasource with this uid; every panel and query names it. */
export const DATASOURCE = { type: "prometheus", uid: "prometheus" } as const;

/** The `function` template variable; its "All" value is a regex matching every function. */
export const FUNCTION_VARIABLE = "function";
export const FUNCTION_ALL_VALUE = ".*";

const fn = `function=~"$${FUNCTION_VARIABLE}"`;
const rate = (selector: string): string => `rate(${selector}[$__rate_interval])`;

/** The PromQL of every panel, by name (also used by the tests that run them against a real Prometheus). */
export const QUERIES = {
  errorRatio: ERROR_RATIO_EXPR,
  requestsByFunctionAndStatus: `sum by (function, status) (${rate(`http_requests_total{${fn}}`)})`,
  errorRatioByFunction:
    `(sum by (function) (${rate(`http_requests_total{${fn},status=~"5.."}`)})` +
    ` or 0 * sum by (function) (${rate(`http_requests_total{${fn}}`)}))` +
    ` / sum by (function) (${rate(`http_requests_total{${fn}}`)})`,
  latencyP50: latencyQuantile(0.5, "le"),
  latencyP95: latencyQuantile(0.95, "le"),
  latencyP99: latencyQuantile(0.99, "le"),
  latencyP95ByFunction: latencyQuantile(0.95, "function, le"),
  // 0 closed, 1 half_open, 2 open: the worst current state per dependency, even if a state series is missing.
  breakerState:
    'max by (dependency) (2 * circuit_breaker_state{state="open"}' +
    ' or circuit_breaker_state{state="half_open"} or 0 * circuit_breaker_state{state="closed"})',
  breakerTransitions: "sum by (dependency, from, to) (increase(circuit_breaker_transitions_total[$__rate_interval]))",
  cacheHitRatio:
    `sum(${rate('cache_operations_total{operation="get",result="hit"}')})` +
    ` / sum(${rate('cache_operations_total{operation="get",result=~"hit|miss"}')})`,
  cacheOperations: `sum by (operation, result) (${rate("cache_operations_total")})`,
  queueWaiting: "max by (clinic) (mmc_queue_waiting)",
  queueServing: "max by (clinic) (mmc_queue_serving)",
  queueDone: "max by (clinic) (mmc_queue_done)",
  pinsActive: "max(mmc_pins_active)",
  // Issue 15: tries to finish a clinic with a PIN that failed (PinGuessingSuspected reads the same counter).
  pinAttemptsFailed: `sum by (clinic, result) (${rate('pin_attempts_total{result!="correct"}')})`,
} as const;

function latencyQuantile(q: number, by: string): string {
  return `histogram_quantile(${q}, sum by (${by}) (${rate(`http_request_duration_seconds_bucket{${fn}}`)}))`;
}

function query(refId: string, expr: string, legend: string): prometheus.DataqueryBuilder {
  return new prometheus.DataqueryBuilder().datasource(DATASOURCE).refId(refId).expr(expr).legendFormat(legend);
}

function thresholds(steps: Threshold[]): ThresholdsConfigBuilder {
  return new ThresholdsConfigBuilder().mode(ThresholdsMode.Absolute).steps(steps);
}

/** Green below the alert's threshold, red from it: the "2% line". */
const errorRatioThresholds = (): ThresholdsConfigBuilder =>
  thresholds([
    { value: null, color: "green" },
    { value: ERROR_RATIO_THRESHOLD, color: "red" },
  ]);

function series(id: number, title: string, unit: string): timeseries.PanelBuilder {
  return new timeseries.PanelBuilder()
    .id(id)
    .title(title)
    .datasource(DATASOURCE)
    .unit(unit)
    .height(8)
    .span(12)
    .lineWidth(1)
    .fillOpacity(10)
    .legend(
      new common.VizLegendOptionsBuilder()
        .showLegend(true)
        .displayMode(common.LegendDisplayMode.List)
        .placement(common.LegendPlacement.Bottom),
    );
}

function single(id: number, title: string, unit: string): stat.PanelBuilder {
  return new stat.PanelBuilder()
    .id(id)
    .title(title)
    .datasource(DATASOURCE)
    .unit(unit)
    .height(8)
    .span(6)
    .reduceOptions(new common.ReduceDataOptionsBuilder().calcs(["lastNotNull"]).values(false))
    .colorMode(common.BigValueColorMode.Background)
    .graphMode(common.BigValueGraphMode.Area);
}

/** Builds the dashboard model (plain JSON-serialisable object), tagged with its content revision. Pure. */
export function buildDashboard(): Dashboard {
  return withRevisionTag(buildUntagged());
}

function buildUntagged(): Dashboard {
  const alertNote = `Same expression as the ${HIGH_5XX_ALERT} alert (monitoring/alerts.yml); red from ${
    ERROR_RATIO_THRESHOLD * 100
  }% (R < ${1 - ERROR_RATIO_THRESHOLD}). No data means no traffic: see the NoHttpTraffic alert.`;

  return (
    new DashboardBuilder(DASHBOARD_TITLE)
      .uid(DASHBOARD_UID)
      .description("MMC-MMS (love) backend on Supabase: the metrics contract of the gateway / log-drain exporter.")
      .tags(["love", "supabase", "slo"])
      .readonly()
      .refresh("30s")
      .time({ from: "now-6h", to: "now" })
      .withVariable(
        new QueryVariableBuilder(FUNCTION_VARIABLE)
          .label("Function")
          .datasource(DATASOURCE)
          .query(`label_values(http_requests_total, ${FUNCTION_VARIABLE})`)
          .definition(`label_values(http_requests_total, ${FUNCTION_VARIABLE})`)
          .refresh(VariableRefresh.OnTimeRangeChanged)
          .sort(VariableSort.AlphabeticalAsc)
          .multi(true)
          .includeAll(true)
          .allValue(FUNCTION_ALL_VALUE)
          .current({ text: "All", value: "$__all" }),
      )

      .withRow(new RowBuilder(`Availability: ${HIGH_5XX_ALERT} (5xx share > ${ERROR_RATIO_THRESHOLD * 100}%)`).id(1))
      .withPanel(
        single(2, "5xx error ratio (alert view, 5m)", "percentunit")
          .description(alertNote)
          .decimals(2)
          .thresholds(errorRatioThresholds())
          .withTarget(query("A", QUERIES.errorRatio, "5xx ratio")),
      )
      .withPanel(
        series(3, `5xx error ratio against the ${ERROR_RATIO_THRESHOLD * 100}% threshold`, "percentunit")
          .span(18)
          .description(alertNote)
          .min(0)
          .thresholds(errorRatioThresholds())
          .thresholdsStyle(new common.GraphThresholdsStyleConfigBuilder().mode(common.GraphThresholdsStyleMode.Dashed))
          .withTarget(query("A", QUERIES.errorRatio, "5xx ratio (5m)")),
      )

      .withRow(new RowBuilder("Traffic").id(4))
      .withPanel(
        series(5, "Requests by function and status", "reqps")
          .description("Per-second request rate from http_requests_total, by edge function and HTTP status.")
          .withTarget(query("A", QUERIES.requestsByFunctionAndStatus, "{{function}} {{status}}")),
      )
      .withPanel(
        series(6, "5xx error ratio by function", "percentunit")
          .description("Where the errors come from. Functions without 5xx show 0.")
          .min(0)
          .thresholds(errorRatioThresholds())
          .thresholdsStyle(new common.GraphThresholdsStyleConfigBuilder().mode(common.GraphThresholdsStyleMode.Dashed))
          .withTarget(query("A", QUERIES.errorRatioByFunction, "{{function}}")),
      )

      .withRow(new RowBuilder("Latency").id(7))
      .withPanel(
        series(8, "Latency p50 / p95 / p99", "s")
          .description("From the http_request_duration_seconds histogram (buckets 5 ms to 10 s).")
          .withTarget(query("A", QUERIES.latencyP50, "p50"))
          .withTarget(query("B", QUERIES.latencyP95, "p95"))
          .withTarget(query("C", QUERIES.latencyP99, "p99")),
      )
      .withPanel(
        series(9, "p95 latency by function", "s").withTarget(
          query("A", QUERIES.latencyP95ByFunction, "{{function}}"),
        ),
      )

      .withRow(new RowBuilder("Dependencies: circuit breakers and cache").id(10))
      .withPanel(
        new statetimeline.PanelBuilder()
          .id(11)
          .title("Circuit breaker state")
          .description("Worst current state per dependency across instances (circuit_breaker_state).")
          .datasource(DATASOURCE)
          .unit("none")
          .height(8)
          .span(12)
          .thresholds(thresholds([{ value: null, color: "green" }]))
          .mappings([
            {
              type: MappingType.ValueToText,
              options: {
                "0": { text: "closed", color: "green", index: 0 },
                "1": { text: "half_open", color: "yellow", index: 1 },
                "2": { text: "open", color: "red", index: 2 },
              },
            },
          ])
          .withTarget(query("A", QUERIES.breakerState, "{{dependency}}")),
      )
      .withPanel(
        series(12, "Circuit breaker transitions", "short").withTarget(
          query("A", QUERIES.breakerTransitions, "{{dependency}}: {{from}} → {{to}}"),
        ),
      )
      .withPanel(
        series(13, "Cache hit ratio (gets)", "percentunit")
          .min(0)
          .max(1)
          .withTarget(query("A", QUERIES.cacheHitRatio, "hit ratio")),
      )
      .withPanel(
        series(14, "Cache operations by result", "ops").withTarget(
          query("A", QUERIES.cacheOperations, "{{operation}} {{result}}"),
        ),
      )

      .withRow(new RowBuilder("Queues and PINs").id(15))
      .withPanel(
        series(16, "Waiting by clinic", "short")
          .span(9)
          .withTarget(query("A", QUERIES.queueWaiting, "{{clinic}}")),
      )
      .withPanel(
        series(17, "Serving by clinic", "short")
          .span(9)
          .withTarget(query("A", QUERIES.queueServing, "{{clinic}}")),
      )
      .withPanel(
        single(18, "Active PINs", "short")
          .thresholds(
            thresholds([
              { value: null, color: "red" },
              { value: 1, color: "green" },
            ]),
          )
          .withTarget(query("A", QUERIES.pinsActive, "active PINs")),
      )
      .withPanel(
        series(19, "Done by clinic", "short")
          .span(24)
          .withTarget(query("A", QUERIES.queueDone, "{{clinic}}")),
      )
      .withPanel(
        series(20, "Failed PIN tries by clinic", "ops")
          .span(24)
          .description(
            "Tries to finish a clinic with a PIN that failed (pin_attempts_total): wrong (compared), locked (during a " +
              "lockout or delay), not_your_turn (before the ticket's turn). PinGuessingSuspected fires above 20 in " +
              "10 minutes at one clinic.",
          )
          .min(0)
          .withTarget(query("A", QUERIES.pinAttemptsFailed, "{{clinic}} {{result}}")),
      )
      .build()
  );
}

/** The file content of monitoring/grafana-dashboard.json: stable key order from the builders, 2-space JSON. */
export function dashboardJson(): string {
  return `${JSON.stringify(buildDashboard(), null, 2)}\n`;
}
