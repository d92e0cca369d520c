/**
 * The open-model dispatcher (see "The timing model" in docs/architecture.md).
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
import {
  ERROR_CLASSES,
  type ErrorClass,
  type JourneyIteration,
  type JourneyRunner,
  type JourneySpec,
  type JourneyStepResult,
  type PageResult,
  type VirtualUser,
} from "./types.ts";
import { JourneyStats } from "./journey_stats.ts";
import type { PacedSchedule } from "./schedule.ts";
import { pageErrorClass } from "./classify.ts";
import { StallMonitor, type StallSummary } from "./stalls.ts";
import type { RequestPicker } from "./targets.ts";
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
  /** Why it failed, in one line (the user's error message, or the status); null on success. */
  reason: string | null;
}

export interface EngineOptions {
  schedule: PacedSchedule;
  /** Length of the warm-up at the start of the schedule (excluded from statistics). */
  warmupSec: number;
  /** Logged-in users; `picker.users` must equal users.length. */
  users: VirtualUser[];
  picker: RequestPicker;
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
  /**
   * Journeys instead of single requests: each scheduled item is one iteration of the journey the
   * picker drew (`picker.endpoints[k]` stands for `journeys.specs[k]`, for its weight and user), run
   * step by step on one user by `runner`. The endpoint rows are then the steps, in journey order.
   */
  journeys?: {
    specs: readonly JourneySpec[];
    runner: JourneyRunner;
    /** The accumulators to count into (one per spec), when the caller reads them live; default: new ones. */
    stats?: JourneyStats[];
  };
  /**
   * The schedule's zero on the wall clock (`--start-at`; default: when run() is called). A shard ready
   * late keeps the shared clock: the requests already due are sent late (or skipped: skipBeforeSec).
   */
  startAtEpochMs?: number;
  /** Requests due before this (seconds into the schedule) are never sent: they count as not_sent. */
  skipBeforeSec?: number;
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
  /** One per journey (empty without journeys); measured iterations only. */
  journeys?: JourneyStats[];
  /** One point per second of the run (warm-up included), whatever progressSec is. */
  timeline: TimelinePoint[];
  /** The generator's own event-loop stalls during the run (GC pauses, its own work): stalls.ts. */
  stalls: StallSummary;
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
  /** The current request's latency counts from here: `intendedMs`, or a later journey step's think end. */
  fromMs = 0;
  // A journey iteration in progress (journey -1: a plain request): its step, think time so far, and
  // its first failed step and class (-1: none yet).
  journey = -1;
  step = 0;
  iteration: JourneyIteration | undefined;
  thinkMs = 0;
  thinkTimer: unknown;
  failedStep = -1;
  failedClass: ErrorClass = "other";
  readonly onResult: (result: PageResult) => void;
  readonly onError: (error: unknown) => void;
  readonly onStep: (result: JourneyStepResult) => void;
  readonly onStepError: (error: unknown) => void;
  readonly onThinkEnd: () => void;

  constructor(engine: Engine) {
    this.onResult = (result) => engine.complete(this, result);
    this.onError = (error) => engine.complete(this, failedResult(error));
    this.onStep = (result) => engine.stepDone(this, result);
    this.onStepError = (error) =>
      engine.stepDone(this, { ...failedResult(error), thinkMs: 0, continueOnFail: false });
    this.onThinkEnd = () => engine.thinkEnd(this);
  }
}

/** The one request-log entry an engine fills and hands out for every request (copy what you keep). */
function emptyLogEntry(): RequestLogEntry {
  return {
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
    reason: null,
  };
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
  /** Requests 0…skipped-1 were never sent (skipBeforeSec). */
  private skipped = 0;
  private nextIntendedMs = 0;
  private stopped = false;
  private stopMs = 0;
  private finished = false;
  private finishMs = 0;
  private readonly stalls: StallMonitor;
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
  /** What the endpoint rows are: the picker's endpoints, or every journey's steps in order. */
  private readonly units: readonly { name: string; expect?: readonly number[] }[];
  /** Journeys: the endpoint row of each journey's first step; their statistics. */
  private readonly stepOffset: number[] = [];
  private readonly journeyStats: JourneyStats[];
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
    const journeys = options.journeys;
    if (journeys && journeys.specs.length !== options.picker.endpoints.length) {
      throw new Error("picker and journeys disagree");
    }
    this.units = journeys ? journeys.specs.flatMap((j) => j.steps) : options.picker.endpoints;
    journeys?.specs.reduce((offset, j) => (this.stepOffset.push(offset), offset + j.steps.length), 0);
    if (journeys?.stats && journeys.stats.length !== journeys.specs.length) {
      throw new Error("journeys and their statistics disagree");
    }
    this.journeyStats = journeys
      ? journeys.stats ?? journeys.specs.map((spec) => new JourneyStats(spec))
      : [];
    this.endpoints = this.units.map(() => new Stats(true));
    this.getOptions = this.units.map((e) => ({
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
      relogins: () => this.pool.relogins,
      onSecond: options.onSecond && ((point) => options.onSecond!(point, this.live)),
      endpointCount: this.endpoints.length,
    });
    this.logEntry = options.onRequest ? emptyLogEntry() : undefined;
    this.stalls = new StallMonitor(this.clock);
  }

  run(): Promise<EngineResult> {
    const clock = this.clock;
    const epochNow = clock.epochMs();
    const agoMs = this.o.startAtEpochMs === undefined ? 0 : epochNow - this.o.startAtEpochMs;
    const startEpochMs = epochNow - agoMs;
    this.startMs = clock.now() - agoMs;
    const skip = this.o.skipBeforeSec ? this.o.schedule.countBefore(this.o.skipBeforeSec) : 0;
    // Skipped requests are still drawn, so every later request gets the draws it always gets.
    for (let k = 0; k <= skip; k++) this.o.picker.next();
    this.skipped = skip;
    this.next = skip;
    this.nextIntendedMs = skip < this.total ? this.startMs + this.o.schedule.timeOf(skip) * 1000 : Infinity;
    const signal = this.o.signal;
    // A stop sends first what was already due (its timer may not have fired yet): those requests
    // belong to the schedule before the stop, so they are measured, not counted as never sent.
    const onAbort = () => {
      const now = clock.now();
      this.dispatch(now);
      this.stop(now);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
    if (signal?.aborted) this.stop(this.startMs);

    const done = new Promise<void>((resolve) => (this.resolveDone = resolve));
    this.intervals.start(this.startMs);
    this.timeline.start(this.startMs, startEpochMs);
    this.stalls.start();
    this.dispatch();
    return done.then(() => {
      signal?.removeEventListener("abort", onAbort);
      return this.result(startEpochMs);
    });
  }

  // ---- scheduling ----

  /** Sends every due request a slot and a user are free for (the hot loop; see the file comment). */
  /** Send every due request a slot and a user allow; `beforeMs`: only those due strictly before it. */
  private dispatch(beforeMs = Infinity): void {
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
    while (this.nextIntendedMs <= now && this.nextIntendedMs < beforeMs) {
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
      // Before the count goes up: a second that closes here closes without this request.
      this.timeline.sent(now, this.inFlight + 1);
      this.inFlight++;
      if (this.inFlight > this.maxInFlight) this.maxInFlight = this.inFlight;
      slot.fromMs = slot.intendedMs;
      if (this.o.journeys) this.beginJourney(slot, i);
      else users[user].get(slot.url, this.getOptions[slot.endpoint]).then(slot.onResult, slot.onError);
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
    const errorClass = this.errorClassOf(slot, result);
    const errorIndex = errorClass === undefined ? -1 : ERROR_INDEX[errorClass] ?? ERROR_INDEX.other;
    this.record(
      slot,
      now,
      answeredAt(result, slot.sentMs, now),
      result.status,
      result.bytes,
      errorIndex,
      result.perf,
      result.errorMessage,
      result.wireBytes,
    );
    this.freeSlot(slot, now, result.sessionLost);
  }

  /** The slot's work is over: its user is idle again (or re-logs in), and a due request may go. */
  private freeSlot(slot: Slot, now: number, sessionLost: boolean): void {
    const user = slot.user;
    this.freeSlots.push(slot);
    if (sessionLost && !this.stopped) this.pool.relogin(user);
    else if (!sessionLost) this.pool.release(user);
    if (this.stopped) {
      if (this.inFlight === 0) this.finish();
    } else if (this.nextIntendedMs <= now) this.dispatch();
  }

  // ---- journeys (see "Journeys" in README.md for the timing definitions) ----

  private beginJourney(slot: Slot, i: number): void {
    const journey = this.o.picker.endpoint;
    slot.journey = journey;
    slot.step = 0;
    slot.thinkMs = 0;
    slot.failedStep = -1;
    slot.endpoint = this.stepOffset[journey];
    if (slot.measured) this.journeyStats[journey].started++;
    slot.iteration = this.o.journeys!.runner.begin(journey, slot.user, i);
    slot.iteration.step(0).then(slot.onStep, slot.onStepError);
  }

  /**
   * A step answered: record it (latency from `fromMs`), then end the journey (last step, session
   * lost, or a failure without `continueOnFail`) or wait its think time before the next step. The
   * user stays taken throughout: it does nothing else meanwhile.
   */
  stepDone(slot: Slot, result: JourneyStepResult): void {
    if (this.finished) return;
    const now = this.clock.now();
    slot.busy = false;
    slot.url = result.finalUrl;
    const errorClass = this.errorClassOf(slot, result);
    const errorIndex = errorClass === undefined ? -1 : ERROR_INDEX[errorClass] ?? ERROR_INDEX.other;
    const answeredMs = answeredAt(result, slot.sentMs, now);
    this.record(
      slot,
      now,
      answeredMs,
      result.status,
      result.bytes,
      errorIndex,
      result.perf,
      result.errorMessage,
    );
    if (errorClass !== undefined && slot.failedStep < 0) {
      slot.failedStep = slot.step;
      slot.failedClass = errorClass;
    }
    const steps = this.o.journeys!.specs[slot.journey].steps.length;
    const loggedOut = result.sessionLost || result.loggedOut === true;
    if (slot.step + 1 >= steps || loggedOut || (errorClass !== undefined && !result.continueOnFail)) {
      this.endJourney(slot, now, loggedOut);
      return;
    }
    slot.step++;
    slot.endpoint++;
    slot.thinkMs += result.thinkMs;
    if (result.thinkMs > 0) slot.thinkTimer = this.clock.setTimer(slot.onThinkEnd, result.thinkMs);
    else this.thinkEnd(slot);
  }

  /** Think time over: the next step starts now, and its latency counts from now. */
  thinkEnd(slot: Slot): void {
    slot.thinkTimer = undefined;
    if (this.finished) return;
    slot.fromMs = slot.sentMs = this.clock.now();
    slot.busy = true;
    slot.iteration!.step(slot.step).then(slot.onStep, slot.onStepError);
  }

  private endJourney(slot: Slot, now: number, sessionLost: boolean): void {
    this.closeJourney(slot, now);
    this.inFlight--;
    this.freeSlot(slot, now, sessionLost);
  }

  /** Count the iteration (completed from its intended start, or failed by its first failed step). */
  private closeJourney(slot: Slot, now: number): void {
    if (slot.measured) {
      const stats = this.journeyStats[slot.journey];
      if (slot.failedStep < 0) stats.complete(now - slot.intendedMs, slot.thinkMs);
      else stats.fail(slot.failedStep, slot.failedClass);
    }
    slot.journey = -1;
    slot.iteration = undefined;
  }

  /** The one success rule (classify.ts) applied to a page or a journey step of this slot's endpoint. */
  private errorClassOf(slot: Slot, result: PageResult): ErrorClass | undefined {
    return pageErrorClass(
      result.status,
      this.getOptions[slot.endpoint].expect,
      result.errorClass,
      result.sessionLost,
    );
  }

  /**
   * One outcome into the statistics (overall, endpoint or warm-up, interval) and the request log:
   * timed to `answeredMs` (see `answeredAt`), counted in the time line at `now`.
   */
  private record(
    slot: Slot,
    now: number,
    answeredMs: number,
    status: number,
    bytes: number,
    errorIndex: number,
    perf: PageResult["perf"],
    errorMessage: string | undefined,
    wireBytes = bytes,
  ): void {
    const latencyUs = (answeredMs - slot.fromMs) * 1000;
    const serviceUs = (answeredMs - slot.sentMs) * 1000;
    if (slot.measured) {
      this.overall.record(latencyUs, serviceUs, status, bytes, errorIndex, perf, wireBytes);
      this.endpoints[slot.endpoint].record(latencyUs, serviceUs, status, bytes, errorIndex, perf, wireBytes);
      this.intervals.measured.record(latencyUs, serviceUs, status, bytes, errorIndex, undefined, wireBytes);
    } else {
      this.warmup.record(latencyUs, serviceUs, status, bytes, errorIndex, undefined, wireBytes);
      this.intervals.warmup.record(latencyUs, serviceUs, status, bytes, errorIndex, undefined, wireBytes);
    }
    this.timeline.record(now, latencyUs, errorIndex, slot.endpoint);
    const entry = this.logEntry;
    if (entry) {
      entry.i = slot.index;
      entry.warmup = !slot.measured;
      entry.endpoint = this.units[slot.endpoint].name;
      entry.url = slot.url;
      entry.user = this.o.users[slot.user].username;
      entry.intended_ms = slot.fromMs - this.startMs;
      entry.lateness_ms = slot.sentMs - slot.fromMs;
      entry.latency_ms = latencyUs / 1000;
      entry.service_ms = serviceUs / 1000;
      entry.status = status;
      entry.bytes = bytes;
      entry.ok = errorIndex < 0;
      entry.error = errorIndex < 0 ? null : ERROR_CLASSES[errorIndex];
      entry.reason = errorIndex < 0
        ? null
        : errorMessage ?? (status > 0 ? `HTTP ${status} at ${slot.url}` : "no response");
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
    this.stalls.stop();
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
      this.record(
        slot,
        now,
        now,
        0,
        0,
        ABANDONED,
        undefined,
        "no answer when the grace period after the run ended",
      );
    }
    this.abandoned = unanswered.length;
    // Journeys still under way (a step unanswered, or thinking) end failed at that step: `abandoned`.
    for (const slot of this.slots) {
      if (slot.journey < 0) continue;
      if (slot.thinkTimer !== undefined) this.clock.clearTimer(slot.thinkTimer);
      slot.thinkTimer = undefined;
      if (slot.failedStep < 0) {
        slot.failedStep = slot.step;
        slot.failedClass = "abandoned";
      }
      this.closeJourney(slot, now);
    }
  }

  private result(startEpochMs: number): EngineResult {
    const schedule = this.o.schedule;
    const stopSec = (this.stopMs - this.startMs) / 1000;
    const due = schedule.countBefore(stopSec);
    // Never sent: the skipped ones [0, skipped) and the ones due but not reached [next, due).
    const unsent = (until: number) => Math.min(this.skipped, until) + Math.max(0, until - this.next);
    const notSentTotal = unsent(due);
    const warmupNotSent = unsent(Math.min(due, this.warmupCount));
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
      journeys: this.journeyStats,
      timeline: this.timeline.points,
      stalls: this.stalls.summary(),
    };
  }
}

export function runEngine(options: EngineOptions): Promise<EngineResult> {
  return new Engine(options).run();
}

/**
 * When a request was answered: the time its last byte was read (`receivedMs`), so that the user's own
 * work on the answer (footer scan, session checks, a step's extraction) and the way back to the engine
 * are not counted as the site's time; or `now` when the user gives none, or one outside [sent, now]
 * (a clock other than `performance.now()`'s, as tests drive).
 */
function answeredAt(result: PageResult, sentMs: number, now: number): number {
  const received = result.receivedMs;
  return received !== undefined && received >= sentMs && received <= now ? received : now;
}
