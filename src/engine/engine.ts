/**
 * The open-model dispatcher (see "The timing model" in DESIGN.md).
 *
 * Request i is due at schedule.timeOf(i) from the run's start. On every wake (one timer at a time,
 * never one per request) and on every completion, every due request is sent while a concurrency slot
 * AND an idle virtual user are free (Moodle serialises requests of one session, so a user never has
 * two in flight). A request that has to wait keeps its intended start: its latency counts from there,
 * its service time from the actual send. Requests still unsent when scheduling stops are `not_sent`;
 * every request sent counts: one still unanswered when the grace period ends is a failure of class
 * `abandoned` at its elapsed time (user_pool.ts keeps the users, intervals.ts the progress rows,
 * classify.ts the success rule).
 *
 * Hot path: no allocation beyond the URL string and what `VirtualUser.get` does itself; in-flight
 * bookkeeping lives in a fixed pool of slots whose callbacks are bound once.
 */
import { ERROR_CLASSES, type ErrorClass, type PageResult, type VirtualUser } from "./types.ts";
import type { Schedule } from "./schedule.ts";
import { pageErrorClass } from "./classify.ts";
import type { TargetPicker } from "./targets.ts";
import { ERROR_INDEX, Stats } from "./stats.ts";
import { type Histogram, newHistogram, recordUs } from "./histogram.ts";
import { type Clock, realClock } from "./clock.ts";
import { type IntervalReport, IntervalReporter } from "./intervals.ts";
import { UserPool } from "./user_pool.ts";
import { Timeline, type TimelinePoint } from "./timeline.ts";

/** A request sent more than this after its intended start counts as `late`. */
export const LATE_BOUND_MS = 10;

export type { Clock, IntervalReport, TimelinePoint };
export { realClock };

/** One request as written to the JSONL request log (one object, reused: copy what you keep). */
export interface RequestLogEntry {
  /** Request number in the schedule. */
  i: number;
  warmup: boolean;
  endpoint: string;
  url: string;
  user: string;
  /** Intended start, ms since the run's start. */
  intended_ms: number;
  /** Actual send minus intended start, ms. */
  lateness_ms: number;
  latency_ms: number;
  service_ms: number;
  status: number;
  bytes: number;
  ok: boolean;
  error: ErrorClass | null;
}

export interface EngineOptions {
  schedule: Schedule;
  /** Length of the warm-up at the start of the schedule (excluded from statistics). */
  warmupSec: number;
  /** Logged-in users; `picker.users` must equal users.length. */
  users: VirtualUser[];
  picker: TargetPicker;
  concurrency: number;
  requestTimeoutMs: number;
  /** Re-logins after session loss running at once (default 4). */
  reloginConcurrency?: number;
  /** How long to wait for in-flight requests after scheduling stops. */
  graceMs: number;
  progressSec: number;
  lateBoundMs?: number;
  clock?: Clock;
  onInterval?: (report: IntervalReport) => void;
  onRequest?: (entry: RequestLogEntry) => void;
  /**
   * Each second of the time line as it closes, with the run's live cumulative measured statistics
   * (the live dashboard reads them; they keep changing after the call: copy what you keep).
   */
  onSecond?: (point: TimelinePoint, live: LiveStats) => void;
  /** Aborting stops scheduling (Ctrl-C); the engine drains and resolves as usual. */
  signal?: AbortSignal;
}

/** The run's cumulative measured statistics, as they stand (overall and per endpoint, in picker order). */
export interface LiveStats {
  overall: Stats;
  endpoints: readonly Stats[];
}

export interface EngineResult {
  overall: Stats;
  endpoints: Stats[];
  warmup: Stats;
  /** Measured requests: sent, late (> lateBoundMs after t_i), never sent. */
  sent: number;
  late: number;
  notSent: number;
  warmupNotSent: number;
  /** Sent but still without an answer when the grace period ended (counted as `abandoned` failures). */
  abandoned: number;
  lateness: Histogram;
  relogins: number;
  reloginFailures: number;
  /** Users lost for good (session lost and the re-login failed). */
  retiredUsers: string[];
  /** Measured-phase scheduling window (seconds), drain after it. */
  elapsedSec: number;
  drainSec: number;
  startEpochMs: number;
  measuredStartEpochMs: number;
  endEpochMs: number;
  interrupted: boolean;
  /** Mean target rate of the measured window actually run (per minute). */
  targetRpm: number;
  maxInFlight: number;
  /** One point per second of the run (warm-up included), whatever progressSec is. */
  timeline: TimelinePoint[];
}

class Slot {
  index = 0;
  intendedMs = 0;
  sentMs = 0;
  endpoint = 0;
  user = 0;
  measured = false;
  /** Sent and not answered yet (what finish() abandons). */
  busy = false;
  url = "";
  readonly onResult: (result: PageResult) => void;
  readonly onError: (error: unknown) => void;

  constructor(engine: Engine) {
    this.onResult = (result) => engine.complete(this, result);
    this.onError = (error) => engine.complete(this, failedResult(error));
  }
}

function failedResult(error: unknown): PageResult {
  return {
    status: 0,
    finalUrl: "",
    bytes: 0,
    sessionLost: false,
    errorClass: "other",
    errorMessage: error instanceof Error ? error.message : String(error),
  };
}

const ABANDONED = ERROR_INDEX.abandoned;

export class Engine {
  private readonly o: EngineOptions;
  private readonly clock: Clock;
  private readonly lateBoundMs: number;
  private readonly total: number;
  private readonly warmupCount: number;
  private readonly warmupMs: number;
  private readonly endMs: number;

  // Scheduling state.
  private startMs = 0;
  private next = 0;
  private nextIntendedMs = 0;
  private stopped = false;
  private stopMs = 0;
  private finished = false;
  private finishMs = 0;
  private timer: unknown;
  private timerAtMs = Infinity;
  private graceTimer: unknown;
  private inFlight = 0;
  private maxInFlight = 0;
  /** Every slot ever made (in-flight ones have `busy`); the free ones are also in `freeSlots`. */
  private readonly slots: Slot[] = [];
  private readonly freeSlots: Slot[] = [];
  private readonly pool: UserPool;
  private readonly intervals: IntervalReporter;
  private readonly timeline: Timeline;
  private readonly live: LiveStats;

  // Statistics.
  private readonly overall = new Stats(true);
  private readonly endpoints: Stats[];
  private readonly warmup = new Stats();
  private readonly lateness = newHistogram();
  private sent = 0;
  private late = 0;
  private abandoned = 0;

  private readonly logEntry: RequestLogEntry | undefined;
  /** The options object of each endpoint's requests, made once. */
  private readonly getOptions: { timeoutMs: number; expect?: readonly number[] }[];
  private resolveDone: (() => void) | undefined;

  constructor(options: EngineOptions) {
    this.o = options;
    this.clock = options.clock ?? realClock;
    this.lateBoundMs = options.lateBoundMs ?? LATE_BOUND_MS;
    this.total = options.schedule.totalCount;
    this.warmupCount = options.schedule.countBefore(options.warmupSec);
    this.warmupMs = options.warmupSec * 1000;
    this.endMs = options.schedule.durationSec * 1000;
    if (options.picker.users !== options.users.length) throw new Error("picker and users disagree");
    if (options.users.length === 0) throw new Error("no users");
    this.endpoints = options.picker.endpoints.map(() => new Stats(true));
    this.getOptions = options.picker.endpoints.map((e) => ({
      timeoutMs: options.requestTimeoutMs,
      expect: e.expect,
    }));
    this.pool = new UserPool(options.users, options.reloginConcurrency, () => this.dispatch());
    this.intervals = new IntervalReporter({ ...options, clock: this.clock }, {
      inFlight: () => this.inFlight,
      nextIndex: () => this.next,
      cumulative: () => ({
        total: this.overall.total,
        success: this.overall.success,
        failures: this.overall.failures,
        late: this.late,
        sent: this.sent,
      }),
    });
    this.live = { overall: this.overall, endpoints: this.endpoints };
    this.timeline = new Timeline({
      clock: this.clock,
      schedule: options.schedule,
      warmupSec: options.warmupSec,
      inFlight: () => this.inFlight,
      onSecond: options.onSecond && ((point) => options.onSecond!(point, this.live)),
    });
    this.logEntry = options.onRequest
      ? {
        i: 0,
        warmup: false,
        endpoint: "",
        url: "",
        user: "",
        intended_ms: 0,
        lateness_ms: 0,
        latency_ms: 0,
        service_ms: 0,
        status: 0,
        bytes: 0,
        ok: false,
        error: null,
      }
      : undefined;
  }

  run(): Promise<EngineResult> {
    const clock = this.clock;
    const startEpochMs = clock.epochMs();
    this.startMs = clock.now();
    this.o.picker.next();
    this.nextIntendedMs = this.total > 0 ? this.startMs : Infinity;
    const signal = this.o.signal;
    const onAbort = () => this.stop(clock.now());
    signal?.addEventListener("abort", onAbort, { once: true });
    if (signal?.aborted) this.stop(this.startMs);

    const done = new Promise<void>((resolve) => (this.resolveDone = resolve));
    this.intervals.start(this.startMs);
    this.timeline.start(this.startMs, startEpochMs);
    this.dispatch();
    return done.then(() => {
      signal?.removeEventListener("abort", onAbort);
      return this.result(startEpochMs);
    });
  }

  // ---- scheduling ----

  /** Sends every due request a slot and a user are free for (the hot loop; see the file comment). */
  private dispatch(): void {
    if (this.stopped) return;
    const clock = this.clock;
    let now = clock.now();
    // Past the end, the loop below still sends what was due before it (if a slot is free), then stops.
    const ended = now - this.startMs >= this.endMs;
    const picker = this.o.picker;
    const users = this.o.users;
    const schedule = this.o.schedule;
    const concurrency = this.o.concurrency;
    let count = 0;
    while (this.nextIntendedMs <= now) {
      if (this.inFlight >= concurrency) break;
      const user = this.pool.take(picker.user);
      if (user < 0) break;
      const slot = this.freeSlots.pop() ?? this.makeSlot();
      const i = this.next;
      slot.index = i;
      slot.intendedMs = this.nextIntendedMs;
      slot.endpoint = picker.endpoint;
      slot.user = user;
      // A per-user pool's value is for the user actually taken (takeUser may not give the preferred one).
      slot.url = picker.urlFor(user);
      slot.measured = i >= this.warmupCount;
      slot.busy = true;
      // Re-read the clock every few sends: a burst of sends takes time itself.
      if ((++count & 15) === 0) now = clock.now();
      slot.sentMs = now;
      const latenessMs = now - slot.intendedMs;
      if (slot.measured) {
        this.sent++;
        recordUs(this.lateness, latenessMs * 1000);
        if (latenessMs > this.lateBoundMs) {
          this.late++;
          this.intervals.countLate(true);
        }
      } else if (latenessMs > this.lateBoundMs) this.intervals.countLate(false);
      this.inFlight++;
      if (this.inFlight > this.maxInFlight) this.maxInFlight = this.inFlight;
      users[user].get(slot.url, this.getOptions[slot.endpoint]).then(slot.onResult, slot.onError);
      this.next = i + 1;
      if (this.next < this.total) {
        this.nextIntendedMs = this.startMs + schedule.timeOf(this.next) * 1000;
        picker.next();
      } else this.nextIntendedMs = Infinity;
    }
    if (ended) this.stop(this.startMs + this.endMs);
    else this.arm(now);
  }

  /** One wake timer for the next due request, unless sends are blocked (a completion will wake us). */
  private arm(now: number): void {
    if (this.stopped) return;
    const blocked = this.nextIntendedMs <= now;
    const target = blocked
      ? this.startMs + this.endMs
      : Math.min(this.nextIntendedMs, this.startMs + this.endMs);
    if (this.timer !== undefined) {
      if (this.timerAtMs <= target) return;
      this.clock.clearTimer(this.timer);
    }
    this.timerAtMs = target;
    this.timer = this.clock.setTimer(this.wake, Math.max(0, target - now));
  }

  private readonly wake = (): void => {
    this.timer = undefined;
    this.timerAtMs = Infinity;
    this.dispatch();
  };

  private makeSlot(): Slot {
    const slot = new Slot(this);
    this.slots.push(slot);
    return slot;
  }

  // ---- completions ----

  complete(slot: Slot, result: PageResult): void {
    // After finish() the request was counted as abandoned: its late answer is ignored.
    if (this.finished) return;
    const now = this.clock.now();
    this.inFlight--;
    slot.busy = false;
    const errorClass = pageErrorClass(
      result.status,
      this.getOptions[slot.endpoint].expect,
      result.errorClass,
      result.sessionLost,
    );
    const errorIndex = errorClass === undefined ? -1 : ERROR_INDEX[errorClass] ?? ERROR_INDEX.other;
    this.record(slot, now, result.status, result.bytes, errorIndex, result.perf);
    const user = slot.user;
    this.freeSlots.push(slot);
    if (result.sessionLost && !this.stopped) this.pool.relogin(user);
    else if (!result.sessionLost) this.pool.release(user);
    if (this.stopped) {
      if (this.inFlight === 0) this.finish();
    } else if (this.nextIntendedMs <= now) this.dispatch();
  }

  /** One outcome into the statistics (overall, endpoint or warm-up, interval) and the request log. */
  private record(
    slot: Slot,
    now: number,
    status: number,
    bytes: number,
    errorIndex: number,
    perf: PageResult["perf"],
  ): void {
    const latencyUs = (now - slot.intendedMs) * 1000;
    const serviceUs = (now - slot.sentMs) * 1000;
    if (slot.measured) {
      this.overall.record(latencyUs, serviceUs, status, bytes, errorIndex, perf);
      this.endpoints[slot.endpoint].record(latencyUs, serviceUs, status, bytes, errorIndex, perf);
      this.intervals.measured.record(latencyUs, serviceUs, status, bytes, errorIndex, undefined);
    } else {
      this.warmup.record(latencyUs, serviceUs, status, bytes, errorIndex, undefined);
      this.intervals.warmup.record(latencyUs, serviceUs, status, bytes, errorIndex, undefined);
    }
    this.timeline.record(now, latencyUs, errorIndex);
    const entry = this.logEntry;
    if (entry) {
      entry.i = slot.index;
      entry.warmup = !slot.measured;
      entry.endpoint = this.o.picker.endpoints[slot.endpoint].name;
      entry.url = slot.url;
      entry.user = this.o.users[slot.user].username;
      entry.intended_ms = slot.intendedMs - this.startMs;
      entry.lateness_ms = slot.sentMs - slot.intendedMs;
      entry.latency_ms = latencyUs / 1000;
      entry.service_ms = serviceUs / 1000;
      entry.status = status;
      entry.bytes = bytes;
      entry.ok = errorIndex < 0;
      entry.error = errorIndex < 0 ? null : ERROR_CLASSES[errorIndex];
      this.o.onRequest!(entry);
    }
  }

  // ---- stopping ----

  private stop(atMs: number): void {
    if (this.stopped) return;
    this.stopped = true;
    this.stopMs = Math.min(atMs, this.startMs + this.endMs);
    if (this.timer !== undefined) this.clock.clearTimer(this.timer);
    this.timer = undefined;
    this.pool.stop();
    // Close the interval that was running when scheduling stopped; the drain goes in the last one.
    this.intervals.stop(this.stopMs);
    this.timeline.stop(this.stopMs);
    if (this.inFlight === 0) {
      this.finish();
      return;
    }
    this.graceTimer = this.clock.setTimer(() => this.finish(), this.o.graceMs);
  }

  private finish(): void {
    if (this.finished) return;
    if (this.graceTimer !== undefined) this.clock.clearTimer(this.graceTimer);
    const now = this.clock.now();
    this.abandonInFlight(now);
    this.intervals.finish(now);
    this.timeline.finish();
    this.pool.close();
    this.finished = true;
    this.finishMs = now;
    this.resolveDone?.();
  }

  /**
   * Every request sent counts: one still unanswered when the grace period ends is a failure of class
   * `abandoned`, at least as slow as its wait so far (as k6 and wrk2 count an unanswered request), in
   * the statistics, the last interval and the request log, in the order they were due.
   */
  private abandonInFlight(now: number): void {
    const unanswered = this.slots.filter((slot) => slot.busy).sort((a, b) => a.index - b.index);
    for (const slot of unanswered) {
      slot.busy = false;
      this.record(slot, now, 0, 0, ABANDONED, undefined);
    }
    this.abandoned = unanswered.length;
  }

  private result(startEpochMs: number): EngineResult {
    const schedule = this.o.schedule;
    const stopSec = (this.stopMs - this.startMs) / 1000;
    const due = schedule.countBefore(stopSec);
    const unsentFrom = this.next;
    const notSentTotal = Math.max(0, due - unsentFrom);
    const warmupNotSent = Math.max(0, Math.min(due, this.warmupCount) - unsentFrom);
    const measuredFromSec = Math.min(this.o.warmupSec, stopSec);
    const elapsedSec = Math.max(0, stopSec - measuredFromSec);
    return {
      overall: this.overall,
      endpoints: this.endpoints,
      warmup: this.warmup,
      sent: this.sent,
      late: this.late,
      notSent: notSentTotal - warmupNotSent,
      warmupNotSent,
      abandoned: this.abandoned,
      lateness: this.lateness,
      relogins: this.pool.relogins,
      reloginFailures: this.pool.reloginFailures,
      retiredUsers: this.pool.retired,
      elapsedSec,
      drainSec: (this.finishMs - this.stopMs) / 1000,
      startEpochMs,
      measuredStartEpochMs: startEpochMs + this.warmupMs,
      endEpochMs: startEpochMs + (this.finishMs - this.startMs),
      interrupted: this.o.signal?.aborted ?? false,
      targetRpm: elapsedSec > 0 ? schedule.meanRate(measuredFromSec, stopSec) * 60 : 0,
      maxInFlight: this.maxInFlight,
      timeline: this.timeline.points,
    };
  }
}

export function runEngine(options: EngineOptions): Promise<EngineResult> {
  return new Engine(options).run();
}
