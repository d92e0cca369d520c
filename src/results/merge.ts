/**
 * Merge the summaries of one run's shards (`run --shard I/N`) into the summary the single run would
 * have written (docs/distributed.md): histograms added (overall, per endpoint, per interval, the
 * scheduler lateness), counts and bytes summed, percentiles recomputed from the merged histograms,
 * progress intervals aligned by wall-clock time, login tables joined. Pure: no I/O.
 *
 * Not exact, and documented as such: Moodle's performance-footer means are weighted by pages (their
 * p95 is the shards' largest), `max_in_flight` is the sum of the shards' maxima (an upper bound).
 */
import { EXIT, UserError } from "../errors.ts";
import {
  decodeHistogram,
  encodeHistogram,
  type Histogram,
  newHistogram,
  round3,
} from "../engine/histogram.ts";
import { Stats } from "../engine/stats.ts";
import { maxMs, percentileMs } from "../engine/histogram.ts";
import type {
  Counts,
  EndpointSummary,
  IntervalSummary,
  LoginSummary,
  Percentiles,
  PerfAggregate,
} from "./summary_types.ts";
import { errorRate, type FullRunSummary, perMinuteOver } from "./summary.ts";
import { mergeErrorReasons } from "./error_reasons.ts";

export interface ShardInput {
  /** Where it was read from (for messages and `merged_from`). */
  path: string;
  summary: FullRunSummary;
}

export interface ShardCheck {
  count: number;
  /** Shard indices present, ascending. */
  present: number[];
  missing: number[];
}

const label = (index: number, count: number) => `${index}/${count}`;

/** Refuses shards of different runs, duplicates, and (without allowPartial) missing shards. */
export function checkShards(inputs: readonly ShardInput[], allowPartial: boolean): ShardCheck {
  if (inputs.length === 0) {
    throw new UserError("merge: no summaries given — pass every shard's run directory", EXIT.usage);
  }
  for (const { path, summary } of inputs) {
    if (!summary.shard || !summary.schedule_hash) {
      throw new UserError(
        `${path} has no shard or schedule_hash (written by an older moodle-load) — re-run it with this version`,
        EXIT.usage,
      );
    }
  }
  const first = inputs[0];
  const key = (s: FullRunSummary) =>
    `seed ${s.seed}, ${s.shard!.count} shards, schedule ${s.schedule_hash!.slice(0, 12)}`;
  for (const other of inputs.slice(1)) {
    if (key(other.summary) !== key(first.summary)) {
      throw new UserError(
        `${other.path} is a shard of another run (${key(other.summary)}; ${first.path}: ${
          key(first.summary)
        }) — ` +
          "merge the shards of one run only",
        EXIT.usage,
      );
    }
  }
  const count = first.summary.shard!.count;
  const byIndex = new Map<number, string>();
  for (const { path, summary } of inputs) {
    const index = summary.shard!.index;
    const seen = byIndex.get(index);
    if (seen !== undefined) {
      throw new UserError(
        `shard ${label(index, count)} given twice (${seen}, ${path}) — pass each shard once`,
      );
    }
    byIndex.set(index, path);
  }
  const missing = Array.from({ length: count }, (_, i) => i).filter((i) => !byIndex.has(i));
  if (missing.length && !allowPartial) {
    throw new UserError(
      `incomplete: shards ${missing.map((i) => label(i, count)).join(", ")} missing — pass every shard's ` +
        "summary, or --allow-partial to write what there is (marked partial)",
    );
  }
  return { count, present: [...byIndex.keys()].sort((a, b) => a - b), missing };
}

function mergedHistogram(encoded: readonly string[]): Histogram {
  const histogram = newHistogram();
  for (const one of encoded) histogram.add(decodeHistogram(one));
  return histogram;
}

/** Percentiles of histograms, as the engine computes them (Stats.percentiles). */
function percentilesOf(latency: Histogram, service: Histogram): Percentiles {
  const stats = new Stats();
  stats.latency.add(latency);
  stats.service.add(service);
  return stats.percentiles();
}

function addInto(target: Record<string, number>, source: Record<string, number> | undefined): void {
  for (const [key, n] of Object.entries(source ?? {})) target[key] = (target[key] ?? 0) + n;
}

/** Sorted by key, as Stats.counts writes them (numeric statuses ascending). */
function sortedRecord(record: Record<string, number>): Record<string, number> {
  return Object.fromEntries(
    Object.entries(record).sort(([a], [b]) => Number(a) - Number(b) || (a < b ? -1 : 1)),
  );
}

export function sumCounts(list: readonly Counts[]): Counts {
  const status_codes: Record<string, number> = {};
  const errors: Record<string, number> = {};
  let total = 0, success = 0, failures = 0, bytes = 0, wireBytes = 0;
  for (const c of list) {
    total += c.total;
    success += c.success;
    failures += c.failures;
    bytes += c.bytes;
    // Summaries written before compression was counted have no wire_bytes: their body bytes were the wire's.
    wireBytes += c.wire_bytes ?? c.bytes;
    addInto(status_codes, c.status_codes);
    addInto(errors, c.errors);
  }
  return {
    total,
    success,
    failures,
    bytes,
    wire_bytes: wireBytes,
    status_codes: sortedRecord(status_codes),
    errors,
  };
}

const PERF_MEANS = [
  "time_used_ms_mean",
  "db_reads_mean",
  "db_writes_mean",
  "db_time_ms_mean",
  "memory_peak_bytes_mean",
  "included_files_mean",
  "session_wait_ms_mean",
] as const;

/** Page-weighted means; p95 is the shards' largest (the footer's histogram is not stored). */
export function mergePerf(list: readonly (PerfAggregate | undefined)[]): PerfAggregate | undefined {
  const perfs = list.filter((p): p is PerfAggregate => p !== undefined && p.pages > 0);
  if (perfs.length === 0) return undefined;
  const out: PerfAggregate = { pages: perfs.reduce((sum, p) => sum + p.pages, 0) };
  for (const key of PERF_MEANS) {
    const having = perfs.filter((p) => p[key] !== undefined);
    const pages = having.reduce((sum, p) => sum + p.pages, 0);
    if (pages > 0) out[key] = round3(having.reduce((sum, p) => sum + p[key]! * p.pages, 0) / pages);
  }
  const p95s = perfs.map((p) => p.time_used_ms_p95).filter((v): v is number => v !== undefined);
  if (p95s.length) out.time_used_ms_p95 = Math.max(...p95s);
  return out;
}

export function mergeLogins(list: readonly LoginSummary[]): LoginSummary {
  const by_reason: Record<string, number> = {};
  for (const login of list) addInto(by_reason, login.by_reason);
  return {
    attempted: list.reduce((sum, l) => sum + l.attempted, 0),
    logged_in: list.reduce((sum, l) => sum + l.logged_in, 0),
    relogins: list.reduce((sum, l) => sum + l.relogins, 0),
    by_reason,
    failed: list.flatMap((l) => l.failed),
  };
}

function mergeEndpoints(summaries: readonly FullRunSummary[], elapsedSec: number): EndpointSummary[] {
  return summaries[0].endpoints.map((first) => {
    const parts = summaries.map((s) => s.endpoints.find((e) => e.name === first.name)).filter((e) =>
      e !== undefined
    );
    const perf = mergePerf(parts.map((e) => e.moodle_perf));
    const counts = sumCounts(parts);
    const latency = mergedHistogram(parts.map((e) => e.histogram));
    const service = mergedHistogram(parts.map((e) => e.service_histogram));
    return {
      name: first.name,
      path: first.path,
      ...counts,
      ...percentilesOf(latency, service),
      req_per_min_observed: perMinuteOver(counts.total, elapsedSec),
      histogram: encodeHistogram(latency),
      service_histogram: encodeHistogram(service),
      ...(perf ? { moodle_perf: perf } : {}),
    };
  });
}

type Row = IntervalSummary & { drain?: boolean };

/** One merged progress row from the shards' rows of the same interval. */
function mergeRow(rows: readonly Row[]): Row {
  const last = rows.reduce((a, b) => (b.epoch_ms > a.epoch_ms ? b : a));
  const intervalSec = Math.max(...rows.map((r) => r.interval_sec));
  const counts = sumCounts(rows);
  const withHistograms = rows.every((r) => r.histogram && r.service_histogram);
  const latency = withHistograms ? mergedHistogram(rows.map((r) => r.histogram!)) : undefined;
  const service = withHistograms ? mergedHistogram(rows.map((r) => r.service_histogram!)) : undefined;
  const percentiles: Percentiles = latency && service
    ? percentilesOf(latency, service)
    // Older rows carry no histograms: the largest shard figure is an upper bound.
    : Object.fromEntries(
      Object.keys(last).filter((k) => /_ms_/.test(k)).map((
        k,
      ) => [k, Math.max(...rows.map((r) => Number(r[k as keyof Row])))]),
    ) as unknown as Percentiles;
  const sum = (key: "target_rpm" | "in_flight" | "late" | "backlog") => rows.reduce((s, r) => s + r[key], 0);
  return {
    t_sec: last.t_sec,
    epoch_ms: last.epoch_ms,
    interval_sec: intervalSec,
    warmup: last.warmup,
    target_rpm: round3(sum("target_rpm")),
    observed_rpm: intervalSec > 0 ? round3(counts.total * 60 / intervalSec) : 0,
    in_flight: sum("in_flight"),
    late: sum("late"),
    backlog: sum("backlog"),
    ...counts,
    ...percentiles,
    ...(latency && service
      ? { histogram: encodeHistogram(latency), service_histogram: encodeHistogram(service) }
      : {}),
    ...(last.drain ? { drain: true } : {}),
  };
}

/**
 * Progress rows aligned by wall-clock time: shards that share --start-at close their intervals at the
 * same instants (to the millisecond or so), so rows of different shards within `toleranceMs` of each
 * other are one interval. The drain rows (answers after scheduling stopped) make one last row.
 */
export function mergeIntervals(perShard: readonly (readonly Row[])[], toleranceMs = 500): Row[] {
  const tagged = perShard.flatMap((rows, shard) => rows.map((row) => ({ row, shard })));
  const regular = tagged.filter((t) => !t.row.drain).sort((a, b) => a.row.epoch_ms - b.row.epoch_ms);
  const groups: { row: Row; shard: number }[][] = [];
  for (const item of regular) {
    const group = groups.at(-1);
    const fits = group && item.row.epoch_ms - group[0].row.epoch_ms <= toleranceMs &&
      !group.some((g) => g.shard === item.shard) && group[0].row.warmup === item.row.warmup;
    if (fits) group.push(item);
    else groups.push([item]);
  }
  const merged = groups.map((group) => mergeRow(group.map((g) => g.row)));
  const drains = tagged.filter((t) => t.row.drain).map((t) => t.row);
  if (drains.length) merged.push(mergeRow(drains));
  return merged;
}

function mergeLateness(
  summaries: readonly FullRunSummary[],
): FullRunSummary["scheduler_lateness_ms"] & { histogram?: string } {
  if (summaries.every((s) => s.lateness_histogram)) {
    const histogram = mergedHistogram(summaries.map((s) => s.lateness_histogram!));
    return {
      p50: percentileMs(histogram, 50),
      p99: percentileMs(histogram, 99),
      max: maxMs(histogram),
      histogram: encodeHistogram(histogram),
    };
  }
  const most = (key: "p50" | "p99" | "max") =>
    Math.max(...summaries.map((s) => s.scheduler_lateness_ms[key]));
  return { p50: most("p50"), p99: most("p99"), max: most("max") };
}

/** The run's summary from its shards' (checked by checkShards first). Long: one field per summary key. */
export function mergeSummaries(
  inputs: readonly ShardInput[],
  check: ShardCheck,
  version: string,
): FullRunSummary {
  const ordered = [...inputs].sort((a, b) => a.summary.shard!.index - b.summary.shard!.index);
  const summaries = ordered.map((input) => input.summary);
  const first = summaries[0];
  const elapsed = Math.max(...summaries.map((s) => s.elapsed_sec));
  const total = (pick: (s: FullRunSummary) => number) => summaries.reduce((sum, s) => sum + pick(s), 0);
  const counts = sumCounts(summaries);
  const latency = mergedHistogram(summaries.map((s) => s.histograms.latency));
  const service = mergedHistogram(summaries.map((s) => s.histograms.service));
  const lateness = mergeLateness(summaries);
  const perf = mergePerf(summaries.map((s) => s.moodle_perf));
  const concurrency = total((s) => s.concurrency);
  const users = total((s) => s.users);
  const reasons = mergeErrorReasons(
    summaries.map((s) => ({ reasons: s.error_reasons, examples: s.error_examples })),
  );
  return {
    tool: "moodle-load",
    version,
    schema_version: first.schema_version,
    started_at: summaries.map((s) => s.started_at).sort()[0],
    ended_at: summaries.map((s) => s.ended_at).sort().at(-1)!,
    base_url: first.base_url,
    seed: first.seed,
    elapsed_sec: elapsed,
    duration_sec: first.duration_sec,
    warmup_sec: first.warmup_sec,
    concurrency,
    target_rpm: round3(total((s) => s.target_rpm)),
    req_per_min_observed: perMinuteOver(counts.total, elapsed),
    error_rate: errorRate(counts),
    late: total((s) => s.late),
    not_sent: total((s) => s.not_sent),
    scheduler_lateness_ms: { p50: lateness.p50, p99: lateness.p99, max: lateness.max },
    ...mergeStalls(summaries),
    interrupted: summaries.some((s) => s.interrupted),
    login: mergeLogins(summaries.map((s) => s.login)),
    ...counts,
    ...percentilesOf(latency, service),
    endpoints: mergeEndpoints(summaries, elapsed),
    intervals: mergeIntervals(summaries.map((s) => s.intervals)),
    histograms: { latency: encodeHistogram(latency), service: encodeHistogram(service) },
    ...(perf ? { moodle_perf: perf } : {}),
    ...(Object.keys(reasons.counts).length
      ? { error_reasons: reasons.counts, error_examples: reasons.examples }
      : {}),
    sent: total((s) => s.sent),
    abandoned: total((s) => s.abandoned),
    drain_sec: Math.max(...summaries.map((s) => s.drain_sec)),
    late_bound_ms: first.late_bound_ms,
    max_in_flight: total((s) => s.max_in_flight),
    users,
    user_bound: concurrency > users,
    schedule: first.schedule,
    warmup: {
      total: total((s) => s.warmup.total),
      success: total((s) => s.warmup.success),
      failures: total((s) => s.warmup.failures),
      not_sent: total((s) => s.warmup.not_sent),
    },
    relogin_failures: total((s) => s.relogin_failures),
    ...(lateness.histogram ? { lateness_histogram: lateness.histogram } : {}),
    shard: { index: 0, count: 1 },
    schedule_hash: first.schedule_hash,
    ...(first.start_at ? { start_at: first.start_at } : {}),
    // The shards ran against one site with one config and schedule: shard 0's metadata stands for all.
    ...(first.metadata ? { metadata: first.metadata } : {}),
    ...(check.missing.length ? { partial: true } : {}),
    merged_from: { count: check.count, shards: check.present, files: ordered.map((input) => input.path) },
  };
}

/** Each shard's own stalls: the longest of them, and the counts and totals added (absent if no shard has them). */
function mergeStalls(summaries: FullRunSummary[]): Pick<FullRunSummary, "generator_stalls"> {
  const all = summaries.map((s) => s.generator_stalls).filter((s) => s !== undefined);
  if (all.length === 0) return {};
  return {
    generator_stalls: {
      max_ms: Math.max(...all.map((s) => s.max_ms)),
      count: all.reduce((sum, s) => sum + s.count, 0),
      total_ms: Math.round(all.reduce((sum, s) => sum + s.total_ms, 0) * 10) / 10,
    },
  };
}
