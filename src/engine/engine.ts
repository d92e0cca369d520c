/**
 * The open-model dispatcher (see "The timing model" in DESIGN.md).
 *
 * Request i is due at schedule.timeOf(i) from the run's start. On every wake (one timer at a time,
 * never one per request) and on every completion, every due request is sent while a concurrency slot
 * AND an idle virtual user are free (Moodle serialises requests of one session, so a user never has
 * two in flight). A request that has to wait keeps its intended start: its latency counts from there,
 * its service time from the actual send. Requests still unsent when scheduling stops are `not_sent`.
 *
 * Hot path: no allocation beyond the URL string and what `VirtualUser.get` does itself; in-flight
 * bookkeeping lives in a fixed pool of slots whose callbacks are bound once.
 */
import type { ErrorClass, PageResult, VirtualUser } from "./types.ts";
import type { Schedule } from "./schedule.ts";
import { classifyStatus } from "./classify.ts";
import type { TargetPicker } from "./targets.ts";
import { ERROR_INDEX, Stats } from "./stats.ts";
import { type Histogram, newHistogram, recordUs } from "./histogram.ts";

/** A request sent more than this after its intended start counts as `late`. */
export const LATE_BOUND_MS = 10;

export interface Clock {
  /** Monotonic milliseconds. */
  now(): number;
  /** Wall-clock epoch milliseconds (for files). */
  epochMs(): number;
  setTimer(callback: () => void, delayMs: number): unknown;
  clearTimer(id: unknown): void;
}

export const realClock: Clock = {
  now: () => performance.now(),
  epochMs: () => Date.now(),
  setTimer: (callback, delayMs) => setTimeout(callback, delayMs),
  clearTimer: (id) => clearTimeout(id as ReturnType<typeof setTimeout>),
};

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

/** What the progress callback gets at the end of each interval. */
export interface IntervalReport {
  /** Seconds since the measured phase began (negative inside the warm-up). */
  tSec: number;
  epochMs: number;
  intervalSec: number;
  warmup: boolean;
  /** After scheduling stopped: answers that came in while in-flight requests drained. */
  drain: boolean;
  /** Fraction of the whole run (warm-up + measured) elapsed. */
  fraction: number;
  stats: Stats;
  targetRpm: number;
  inFlight: number;
  late: number;
  /** Due but not sent yet at the end of the interval. */
  backlog: number;
  /** Cumulative measured figures, for the live display. */
  cumulative: { total: number; success: number; failures: number; late: number; sent: number };
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
  /** Aborting stops scheduling (Ctrl-C); the engine drains and resolves as usual. */
  signal?: AbortSignal;
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
  /** Sent but still without an answer when the grace period ended. */
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
}

class Slot {
  index = 0;
  intendedMs = 0;
  sentMs = 0;
  endpoint = 0;
  user = 0;
  measured = false;
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

function isHttpClass(errorClass: ErrorClass): boolean {
  return errorClass === "http_4xx" || errorClass === "http_5xx" || errorClass === "unexpected_status";
}

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
  private timer: unknown;
  private timerAtMs = Infinity;
  private inFlight = 0;
  private maxInFlight = 0;
  private readonly freeSlots: Slot[] = [];
  private slotsMade = 0;

  // Idle users: a stack with positions for O(1) removal of a chosen user.
  private readonly idle: Int32Array;
  private readonly idlePos: Int32Array;
  private idleCount = 0;
  private readonly retired: string[] = [];

  // Statistics.
  private readonly overall = new Stats(true);
  private readonly endpoints: Stats[];
  private readonly warmup = new Stats();
  /** The running progress interval, measured requests and warm-up requests apart. */
  private readonly interval = new Stats();
  private readonly warmupInterval = new Stats();
  private readonly lateness = newHistogram();
  private sent = 0;
  private late = 0;
  private intervalLate = 0;
  private intervalWarmupLate = 0;
  private relogins = 0;
  private reloginsActive = 0;
  private readonly reloginQueue: number[] = [];
  private reloginFailures = 0;

  // Progress ticks.
  private tickTimer: unknown;
  private intervalStartMs = 0;
  private measuredStarted = false;

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
    const n = options.users.length;
    this.idle = new Int32Array(n);
    this.idlePos = new Int32Array(n);
    for (let u = 0; u < n; u++) this.pushIdle(u);
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
    this.intervalStartMs = this.startMs;
    this.measuredStarted = this.warmupMs <= 0;
    this.o.picker.next();
    this.nextIntendedMs = this.total > 0 ? this.startMs : Infinity;
    const signal = this.o.signal;
    const onAbort = () => this.stop(clock.now());
    signal?.addEventListener("abort", onAbort, { once: true });
    if (signal?.aborted) this.stop(this.startMs);

    const done = new Promise<void>((resolve) => (this.resolveDone = resolve));
    this.armTick();
    this.dispatch();
    return done.then(() => {
      signal?.removeEventListener("abort", onAbort);
      return this.result(startEpochMs);
    });
  }

  // ---- scheduling ----

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
      const user = this.takeUser(picker.user);
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
      // Re-read the clock every few sends: a burst of sends takes time itself.
      if ((++count & 15) === 0) now = clock.now();
      slot.sentMs = now;
      const latenessMs = now - slot.intendedMs;
      if (slot.measured) {
        this.sent++;
        recordUs(this.lateness, latenessMs * 1000);
        if (latenessMs > this.lateBoundMs) {
          this.late++;
          this.intervalLate++;
        }
      } else if (latenessMs > this.lateBoundMs) this.intervalWarmupLate++;
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
    this.slotsMade++;
    return new Slot(this);
  }

  private takeUser(preferred: number): number {
    if (this.idleCount === 0) return -1;
    if (this.idlePos[preferred] >= 0) {
      this.removeIdleAt(this.idlePos[preferred]);
      return preferred;
    }
    const user = this.idle[this.idleCount - 1];
    this.removeIdleAt(this.idleCount - 1);
    return user;
  }

  private removeIdleAt(position: number): void {
    const user = this.idle[position];
    const last = this.idle[--this.idleCount];
    this.idle[position] = last;
    this.idlePos[last] = position;
    this.idlePos[user] = -1;
  }

  private pushIdle(user: number): void {
    this.idle[this.idleCount] = user;
    this.idlePos[user] = this.idleCount++;
  }

  // ---- completions ----

  complete(slot: Slot, result: PageResult): void {
    if (this.finished) return;
    const now = this.clock.now();
    this.inFlight--;
    const endpoint = this.o.picker.endpoints[slot.endpoint];
    let errorIndex = -1;
    if (result.sessionLost) errorIndex = ERROR_INDEX.session_lost;
    else {
      const status = result.status;
      const statusOk = endpoint.expect ? endpoint.expect.includes(status) : status >= 200 && status < 300;
      if (result.errorClass && !(statusOk && isHttpClass(result.errorClass))) {
        errorIndex = ERROR_INDEX[result.errorClass] ?? ERROR_INDEX.other;
      } else if (!statusOk) {
        errorIndex = ERROR_INDEX[classifyStatus(status)];
      }
    }
    const latencyUs = (now - slot.intendedMs) * 1000;
    const serviceUs = (now - slot.sentMs) * 1000;
    const bytes = result.bytes;
    if (slot.measured) {
      this.overall.record(latencyUs, serviceUs, result.status, bytes, errorIndex, result.perf);
      this.endpoints[slot.endpoint].record(
        latencyUs,
        serviceUs,
        result.status,
        bytes,
        errorIndex,
        result.perf,
      );
    } else this.warmup.record(latencyUs, serviceUs, result.status, bytes, errorIndex, undefined);
    (slot.measured ? this.interval : this.warmupInterval)
      .record(latencyUs, serviceUs, result.status, bytes, errorIndex, undefined);
    const entry = this.logEntry;
    if (entry) {
      entry.i = slot.index;
      entry.warmup = !slot.measured;
      entry.endpoint = endpoint.name;
      entry.url = slot.url;
      entry.user = this.o.users[slot.user].username;
      entry.intended_ms = slot.intendedMs - this.startMs;
      entry.lateness_ms = slot.sentMs - slot.intendedMs;
      entry.latency_ms = latencyUs / 1000;
      entry.service_ms = serviceUs / 1000;
      entry.status = result.status;
      entry.bytes = bytes;
      entry.ok = errorIndex < 0;
      entry.error = errorIndex < 0
        ? null
        : errorIndex === ERROR_INDEX.session_lost
        ? "session_lost"
        : (result.errorClass ?? classOf(errorIndex));
      this.o.onRequest!(entry);
    }
    const user = slot.user;
    this.freeSlots.push(slot);
    if (result.sessionLost && !this.stopped) this.relogin(user);
    else if (!result.sessionLost) this.pushIdle(user);
    if (this.stopped) {
      if (this.inFlight === 0) this.finish();
    } else if (this.nextIntendedMs <= now) this.dispatch();
  }

  /** Queue a re-login; at most `reloginConcurrency` run at once (a mass expiry is no login storm). */
  private relogin(user: number): void {
    this.reloginQueue.push(user);
    this.startRelogins();
  }

  private startRelogins(): void {
    const limit = Math.max(1, this.o.reloginConcurrency ?? 4);
    while (this.reloginsActive < limit && this.reloginQueue.length > 0 && !this.stopped) {
      const user = this.reloginQueue.shift()!;
      const vu = this.o.users[user];
      this.reloginsActive++;
      vu.login().then(
        (outcome) => outcome.ok,
        () => false,
      ).then((ok) => {
        this.reloginsActive--;
        if (this.finished) return;
        if (ok) {
          this.relogins++;
          this.pushIdle(user);
        } else {
          this.reloginFailures++;
          this.retired.push(vu.username);
        }
        this.startRelogins();
        if (ok && !this.stopped) this.dispatch();
      });
    }
  }

  // ---- progress ----

  /** Intervals restart at the end of the warm-up, so measured intervals align with the measured start. */
  private armTick(): void {
    if (this.finished || this.stopped) return;
    let at = this.intervalStartMs + this.o.progressSec * 1000;
    const endsWarmup = !this.measuredStarted && at >= this.startMs + this.warmupMs;
    if (endsWarmup) at = this.startMs + this.warmupMs;
    this.tickTimer = this.clock.setTimer(() => {
      this.tickTimer = undefined;
      this.emitInterval(at, endsWarmup);
      this.armTick();
    }, Math.max(0, at - this.clock.now()));
  }

  private emitInterval(endMs: number, endsWarmup = false): void {
    const startMs = this.intervalStartMs;
    const intervalSec = (endMs - startMs) / 1000;
    if (intervalSec <= 0) return;
    const warmup = !this.measuredStarted;
    const stats = warmup ? this.warmupInterval : this.interval;
    const schedule = this.o.schedule;
    const fromSec = (startMs - this.startMs) / 1000;
    const toSec = (endMs - this.startMs) / 1000;
    const stopSec = this.stopped ? (this.stopMs - this.startMs) / 1000 : toSec;
    const due = schedule.countBefore(Math.min(toSec, stopSec));
    const report: IntervalReport = {
      tSec: (endMs - this.startMs - this.warmupMs) / 1000,
      epochMs: this.clock.epochMs() - (this.clock.now() - endMs),
      intervalSec,
      warmup,
      drain: this.stopped && startMs >= this.stopMs,
      fraction: Math.min(1, toSec / schedule.durationSec),
      stats,
      targetRpm: schedule.meanRate(fromSec, Math.min(toSec, schedule.durationSec)) * 60,
      inFlight: this.inFlight,
      late: warmup ? this.intervalWarmupLate : this.intervalLate,
      backlog: this.stopped ? 0 : Math.max(0, due - this.next),
      cumulative: {
        total: this.overall.total,
        success: this.overall.success,
        failures: this.overall.failures,
        late: this.late,
        sent: this.sent,
      },
    };
    this.o.onInterval?.(report);
    stats.reset();
    if (warmup) this.intervalWarmupLate = 0;
    else this.intervalLate = 0;
    this.intervalStartMs = endMs;
    if (endsWarmup) this.measuredStarted = true;
  }

  // ---- stopping ----

  private stop(atMs: number): void {
    if (this.stopped) return;
    this.stopped = true;
    this.stopMs = Math.min(atMs, this.startMs + this.endMs);
    if (this.timer !== undefined) this.clock.clearTimer(this.timer);
    this.timer = undefined;
    if (this.tickTimer !== undefined) this.clock.clearTimer(this.tickTimer);
    this.tickTimer = undefined;
    // Close the interval that was running when scheduling stopped; the drain goes in the last one.
    const warmupEndMs = this.startMs + this.warmupMs;
    if (!this.measuredStarted && this.stopMs >= warmupEndMs) this.emitInterval(warmupEndMs, true);
    if (this.stopMs - this.intervalStartMs >= 1) {
      this.emitInterval(this.stopMs);
    }
    if (this.inFlight === 0) {
      this.finish();
      return;
    }
    this.graceTimer = this.clock.setTimer(() => this.finish(), this.o.graceMs);
  }

  private graceTimer: unknown;

  private finish(): void {
    if (this.finished) return;
    if (this.graceTimer !== undefined) this.clock.clearTimer(this.graceTimer);
    // Completions during the drain: one last interval, when there were any.
    const now = this.clock.now();
    const pending = this.measuredStarted ? this.interval : this.warmupInterval;
    if (pending.total > 0 && now > this.intervalStartMs) this.emitInterval(now);
    this.finished = true;
    this.finishMs = now;
    this.resolveDone?.();
  }

  private finishMs = 0;

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
      abandoned: this.inFlight,
      lateness: this.lateness,
      relogins: this.relogins,
      reloginFailures: this.reloginFailures,
      retiredUsers: this.retired,
      elapsedSec,
      drainSec: (this.finishMs - this.stopMs) / 1000,
      startEpochMs,
      measuredStartEpochMs: startEpochMs + this.warmupMs,
      endEpochMs: startEpochMs + (this.finishMs - this.startMs),
      interrupted: this.o.signal?.aborted ?? false,
      targetRpm: elapsedSec > 0 ? schedule.meanRate(measuredFromSec, stopSec) * 60 : 0,
      maxInFlight: this.maxInFlight,
    };
  }
}

function classOf(errorIndex: number): ErrorClass {
  return (Object.keys(ERROR_INDEX) as ErrorClass[]).find((name) => ERROR_INDEX[name] === errorIndex) ??
    "other";
}

export function runEngine(options: EngineOptions): Promise<EngineResult> {
  return new Engine(options).run();
}
