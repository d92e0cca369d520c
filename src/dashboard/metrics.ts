/**
 * The live run's figures in the Prometheus text exposition format (version 0.0.4, which OpenMetrics
 * scrapers read too), fed by the engine's second reports. Counters are the run's cumulative MEASURED
 * figures (warm-up excluded), so once the run has finished they equal the summary file's. Pure apart
 * from reading the engine's live statistics when asked.
 */
import type { LiveStats, TimelinePoint } from "../engine/engine.ts";
import { countsAtOrBelow } from "../engine/histogram.ts";
import { ERROR_CLASSES } from "../engine/types.ts";
import type { Stats } from "../engine/stats.ts";

/** Latency buckets in seconds (Prometheus' defaults, stretched to a minute for slow Moodle pages). */
export const BUCKETS_SEC = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60] as const;
const BUCKETS_US = BUCKETS_SEC.map((s) => s * 1e6);

/** Prometheus label value escaping: backslash, double quote, newline. */
export function labelValue(value: string): string {
  return value.replaceAll("\\", "\\\\").replaceAll('"', '\\"').replaceAll("\n", "\\n");
}

/** A number as the text format writes it (integers plain, others up to 6 decimals). */
function sample(value: number): string {
  if (!Number.isFinite(value)) return value > 0 ? "+Inf" : value < 0 ? "-Inf" : "NaN";
  return Number.isInteger(value) ? String(value) : String(Math.round(value * 1e6) / 1e6);
}

/** One histogram's _bucket, _sum and _count lines from an HDR histogram (µs). */
function histogramLines(lines: string[], name: string, labels: string, stats: Stats | undefined): void {
  const histogram = stats?.latency;
  const total = histogram?.totalCount ?? 0;
  const counts = histogram ? countsAtOrBelow(histogram, BUCKETS_US) : BUCKETS_US.map(() => 0);
  const sep = labels ? "," : "";
  BUCKETS_SEC.forEach((le, b) => lines.push(`${name}_bucket{${labels}${sep}le="${le}"} ${counts[b]}`));
  lines.push(`${name}_bucket{${labels}${sep}le="+Inf"} ${total}`);
  const braces = labels ? `{${labels}}` : "";
  // HDR's mean is exact to its resolution (0.1 %): the sum is mean × count.
  lines.push(`${name}_sum${braces} ${sample(total ? histogram!.mean * total / 1e6 : 0)}`);
  lines.push(`${name}_count${braces} ${total}`);
}

export class LiveMetrics {
  /** Every second so far (the dashboard's charts). */
  readonly timeline: TimelinePoint[] = [];
  private live: LiveStats | undefined;
  finished = false;

  constructor(readonly endpointNames: readonly string[]) {}

  /** One second closed (the engine's onSecond). */
  update(point: TimelinePoint, live: LiveStats): void {
    this.timeline.push(point);
    this.live = live;
  }

  get last(): TimelinePoint | undefined {
    return this.timeline.at(-1);
  }

  /** The whole exposition (long because it is a list: one block per metric family). */
  prometheus(): string {
    const lines: string[] = [];
    const family = (name: string, type: string, help: string) =>
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    const endpoints = this.live?.endpoints ?? [];
    family(
      "moodle_load_requests_total",
      "counter",
      "Measured requests answered (or abandoned), by endpoint and class (ok or the error class).",
    );
    this.endpointNames.forEach((name, k) => {
      const stats = endpoints[k];
      const endpoint = labelValue(name);
      lines.push(`moodle_load_requests_total{endpoint="${endpoint}",class="ok"} ${stats?.success ?? 0}`);
      ERROR_CLASSES.forEach((errorClass, e) => {
        const count = stats?.errors[e] ?? 0;
        if (count) {
          lines.push(`moodle_load_requests_total{endpoint="${endpoint}",class="${errorClass}"} ${count}`);
        }
      });
    });
    family(
      "moodle_load_request_duration_seconds",
      "histogram",
      "Latency from the intended start (queueing included) of measured requests, by endpoint.",
    );
    this.endpointNames.forEach((name, k) => {
      histogramLines(
        lines,
        "moodle_load_request_duration_seconds",
        `endpoint="${labelValue(name)}"`,
        endpoints[k],
      );
    });
    family(
      "moodle_load_run_request_duration_seconds",
      "histogram",
      "The same latency over all endpoints: the run's own histogram (what the summary's percentiles come from).",
    );
    histogramLines(lines, "moodle_load_run_request_duration_seconds", "", this.live?.overall);
    const last = this.last;
    const gauge = (name: string, help: string, value: number) => {
      family(name, "gauge", help);
      lines.push(`${name} ${sample(value)}`);
    };
    gauge(
      "moodle_load_target_requests_per_second",
      "Target rate of the last second.",
      (last?.target_rpm ?? 0) / 60,
    );
    gauge(
      "moodle_load_achieved_requests_per_second",
      "Answers per second in the last second.",
      last && last.span_sec > 0 ? last.total / last.span_sec : 0,
    );
    gauge("moodle_load_in_flight", "Requests in flight at the end of the last second.", last?.in_flight ?? 0);
    gauge(
      "moodle_load_elapsed_seconds",
      "Seconds since the measured phase began (negative in the warm-up).",
      last?.t_sec ?? 0,
    );
    gauge("moodle_load_warmup", "1 while the warm-up runs.", last?.warmup ? 1 : 0);
    gauge(
      "moodle_load_finished",
      "1 once the run has finished and its summary is written.",
      this.finished ? 1 : 0,
    );
    return lines.join("\n") + "\n";
  }
}
