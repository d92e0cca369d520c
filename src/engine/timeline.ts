/**
 * The run's 1-second time line, whatever `--progress` is: every answer goes into the running second's
 * bucket (counts, error classes, one HDR latency histogram reused for every second); when a second
 * ends (a 1 s tick timer, or the first answer after the boundary) the bucket becomes one small
 * `TimelinePoint` (percentiles, no histogram: ~200 bytes a second) and is reset. Answers that come in
 * while in-flight requests drain after scheduling stopped count in the last second, so a run of N
 * seconds has N points. Warm-up seconds are in it too (`warmup: true`, negative `t_sec`).
 */
import type { Clock } from "./clock.ts";
import type { PacedSchedule } from "./schedule.ts";
import { ERROR_CLASSES } from "./types.ts";
import { maxMs, newHistogram, percentileMs, recordUs, round3 } from "./histogram.ts";

/** One second of the run, as the summary file stores it (`timeline`). */
export interface TimelinePoint {
  /** Seconds since the measured phase began, at the end of this second (negative in the warm-up). */
  t_sec: number;
  /** Epoch ms at the end of this second. */
  epoch_ms: number;
  /** Length of this second in seconds: 1, less for the last one when the run stopped mid-second. */
  span_sec: number;
  warmup?: true;
  /** Answers in this second (the last one also holds the drain's). */
  total: number;
  failures: number;
  /** ErrorClass → count (non-zero classes only). */
  errors: Record<string, number>;
  latency_ms_p50: number;
  latency_ms_p95: number;
  latency_ms_p99: number;
  latency_ms_max: number;
  /** Requests in flight when the second ended. */
  in_flight: number;
  /**
   * The most requests in flight at once during this second (a sample at the second's end misses a
   * burst that came and went). Absent in summaries written before it.
   */
  in_flight_max?: number;
  /**
   * Re-logins (after session loss or a logout step) that succeeded in this second; over the whole
   * time line they add up to the summary's `login.relogins`. Absent in summaries written before it.
   */
  relogins?: number;
  target_rpm: number;
  /**
   * Per endpoint (or journey step), in the summary's `endpoints` order: `[answers, failures, p50 ms,
   * p95 ms]` — compact, ~25 bytes an endpoint a second. Absent with one endpoint (the totals say it)
   * and in summaries written before it existed.
   */
  endpoints?: EndpointSecond[];
}

/** One endpoint's second: answers, failures, p50 and p95 latency (ms, from the intended start). */
export type EndpointSecond = [number, number, number, number];

export interface TimelineOptions {
  clock: Clock;
  schedule: PacedSchedule;
  warmupSec: number;
  /** Requests in flight now (read once a second). */
  inFlight: () => number;
  /** Successful re-logins so far, cumulative (read once a second; each point holds its second's). */
  relogins?: () => number;
  /** Each second as it closes (the live dashboard); the point is kept as well. */
  onSecond?: (point: TimelinePoint) => void;
  /** Endpoints (or journey steps) of the run: more than one gives each second its per-endpoint figures. */
  endpointCount?: number;
}

const SECOND_MS = 1000;

export class Timeline {
  readonly points: TimelinePoint[] = [];
  private readonly latency = newHistogram();
  private readonly errors = new Float64Array(ERROR_CLASSES.length);
  private total = 0;
  private failures = 0;
  /** Per endpoint (when there are several): answers, failures and a histogram made on first use. */
  private readonly byEndpoint: {
    total: number;
    failures: number;
    latency?: ReturnType<typeof newHistogram>;
  }[];
  private startMs = 0;
  private startEpochMs = 0;
  /** The running second: index since the run's start, and where it ends (clock ms; ∞ for the last). */
  private index = 0;
  private endMs = Infinity;
  /** The last second's index (from the schedule, lowered at stop) and its end (the stop). */
  private lastIndex: number;
  private stopMs = Infinity;
  private timer: unknown;
  private finished = false;
  /** Re-logins counted into the points so far. */
  private reloginsSeen = 0;
  /** The most requests in flight at once in the running second. */
  private peakInFlight = 0;

  constructor(private readonly o: TimelineOptions) {
    // The second that ends with the schedule is the last: it stays open for the drain, never an extra point.
    this.lastIndex = lastSecond(o.schedule.durationSec * SECOND_MS);
    const count = o.endpointCount ?? 0;
    this.byEndpoint = count > 1 ? Array.from({ length: count }, () => ({ total: 0, failures: 0 })) : [];
  }

  start(startMs: number, startEpochMs: number): void {
    this.startMs = startMs;
    this.startEpochMs = startEpochMs;
    this.endMs = this.lastIndex > 0 ? startMs + SECOND_MS : Infinity;
    if (this.lastIndex > 0) this.arm();
  }

  /** One answer (hot path: a compare, a few counters and two histogram records). */
  record(nowMs: number, latencyUs: number, errorIndex: number, endpoint = -1): void {
    if (nowMs >= this.endMs) this.rollTo(nowMs);
    this.total++;
    if (errorIndex >= 0) {
      this.failures++;
      this.errors[errorIndex]++;
    }
    recordUs(this.latency, latencyUs);
    const own = this.byEndpoint[endpoint];
    if (own) {
      own.total++;
      if (errorIndex >= 0) own.failures++;
      recordUs(own.latency ??= newHistogram(), latencyUs);
    }
  }

  /** A request was sent at `nowMs`; `inFlight` are in flight now, this one included (hot path). */
  sent(nowMs: number, inFlight: number): void {
    if (nowMs >= this.endMs) this.rollTo(nowMs);
    if (inFlight > this.peakInFlight) this.peakInFlight = inFlight;
  }

  /** Scheduling stopped at `stopMs`: close the seconds before it; the last one stays open for the drain. */
  stop(stopMs: number): void {
    if (this.timer !== undefined) this.o.clock.clearTimer(this.timer);
    this.timer = undefined;
    this.stopMs = stopMs;
    this.lastIndex = Math.min(this.lastIndex, lastSecond(stopMs - this.startMs));
    this.rollTo(Math.min(stopMs, this.startMs + this.lastIndex * SECOND_MS));
    this.endMs = Infinity;
  }

  /** The run finished: close the last second (with the drain's answers). */
  finish(): void {
    if (this.finished) return;
    this.finished = true;
    if (this.timer !== undefined) this.o.clock.clearTimer(this.timer);
    const endMs = Math.min(this.stopMs, this.startMs + (this.index + 1) * SECOND_MS);
    if (endMs > this.startMs + this.index * SECOND_MS || this.total > 0) this.emit(endMs);
  }

  private arm(): void {
    const clock = this.o.clock;
    const dueMs = this.endMs;
    this.timer = clock.setTimer(() => {
      this.timer = undefined;
      // A timer may fire a hair early: the second it was set for is over all the same. It may also fire
      // late, after an answer already closed that second: then `dueMs` is behind and only `now` counts;
      // rolling to the *current* end instead would close a second that has just begun (a second of 0
      // answers, the next with twice as many).
      this.rollTo(Math.max(clock.now(), dueMs));
      if (this.index < this.lastIndex && this.stopMs === Infinity) this.arm();
    }, Math.max(0, dueMs - clock.now()));
  }

  /** Close every second that ended at or before `nowMs` (empty ones too), up to the last one. */
  private rollTo(nowMs: number): void {
    while (nowMs >= this.endMs && this.index < this.lastIndex) {
      this.emit(this.endMs);
      this.index++;
      this.endMs += SECOND_MS;
    }
    if (this.index >= this.lastIndex) this.endMs = Infinity;
  }

  /** The closing second of each endpoint, its counters and histogram reset for the next. */
  private endpointSeconds(): EndpointSecond[] {
    return this.byEndpoint.map((e) => {
      const second: EndpointSecond = e.total && e.latency
        ? [e.total, e.failures, percentileMs(e.latency, 50), percentileMs(e.latency, 95)]
        : [0, 0, 0, 0];
      if (e.total) e.latency?.reset();
      e.total = e.failures = 0;
      return second;
    });
  }

  private emit(endMs: number): void {
    const fromSec = this.index;
    const toSec = (endMs - this.startMs) / SECOND_MS;
    const { schedule, warmupSec } = this.o;
    const errors: Record<string, number> = {};
    this.errors.forEach((count, k) => {
      if (count) errors[ERROR_CLASSES[k]] = count;
    });
    const span = round3(toSec - fromSec);
    const rateTo = Math.min(toSec, schedule.durationSec);
    const relogins = this.o.relogins?.();
    const inFlight = this.o.inFlight();
    const point: TimelinePoint = {
      t_sec: round3(toSec - warmupSec),
      epoch_ms: Math.round(this.startEpochMs + endMs - this.startMs),
      span_sec: span,
      ...(fromSec < warmupSec ? { warmup: true as const } : {}),
      total: this.total,
      failures: this.failures,
      errors,
      latency_ms_p50: percentileMs(this.latency, 50),
      latency_ms_p95: percentileMs(this.latency, 95),
      latency_ms_p99: percentileMs(this.latency, 99),
      latency_ms_max: maxMs(this.latency),
      in_flight: inFlight,
      in_flight_max: Math.max(this.peakInFlight, inFlight),
      ...(relogins !== undefined ? { relogins: relogins - this.reloginsSeen } : {}),
      target_rpm: rateTo > fromSec ? round3(schedule.meanRate(fromSec, rateTo) * 60) : 0,
      ...(this.byEndpoint.length ? { endpoints: this.endpointSeconds() } : {}),
    };
    this.reloginsSeen = relogins ?? 0;
    // What is still in flight goes on into the next second.
    this.peakInFlight = inFlight;
    this.points.push(point);
    this.o.onSecond?.(point);
    this.total = this.failures = 0;
    this.errors.fill(0);
    this.latency.reset();
  }
}

/** Index of the second that holds the instant `elapsedMs` ends at (a run of 17 s: second 16). */
function lastSecond(elapsedMs: number): number {
  return Math.max(0, Math.ceil(elapsedMs / SECOND_MS) - 1);
}
