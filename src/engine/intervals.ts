/**
 * Progress intervals: every `progressSec` the engine's running interval (measured and warm-up
 * requests apart) is handed to `onInterval` and reset. Intervals restart at the end of the warm-up,
 * so measured intervals align with the measured start; the interval running when scheduling stops is
 * closed at the stop, and answers that come in while in-flight requests drain go in one last row.
 */
import type { Clock } from "./clock.ts";
import type { PacedSchedule } from "./schedule.ts";
import { Stats } from "./stats.ts";

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

/** What the reporter reads from the engine when an interval ends (not on the hot path). */
export interface IntervalProbe {
  inFlight(): number;
  /** Schedule index of the next request to send: every one before it was sent. */
  nextIndex(): number;
  cumulative(): IntervalReport["cumulative"];
}

export interface IntervalOptions {
  clock: Clock;
  schedule: PacedSchedule;
  warmupSec: number;
  progressSec: number;
  onInterval?: (report: IntervalReport) => void;
}

export class IntervalReporter {
  /** The running interval's measured requests. */
  readonly measured = new Stats();
  /** The running interval's warm-up requests. */
  readonly warmup = new Stats();
  private measuredLate = 0;
  private warmupLate = 0;
  private readonly warmupMs: number;
  private startMs = 0;
  private intervalStartMs = 0;
  private measuredStarted = false;
  private tickTimer: unknown;
  private stopped = false;
  private stopMs = 0;
  private finished = false;

  constructor(private readonly o: IntervalOptions, private readonly probe: IntervalProbe) {
    this.warmupMs = o.warmupSec * 1000;
  }

  start(startMs: number): void {
    this.startMs = startMs;
    this.intervalStartMs = startMs;
    this.measuredStarted = this.warmupMs <= 0;
    this.armTick();
  }

  /** A request sent after its late bound (hot path). */
  countLate(measured: boolean): void {
    if (measured) this.measuredLate++;
    else this.warmupLate++;
  }

  /** Scheduling stopped at `stopMs`: close the warm-up and the running interval; no more ticks. */
  stop(stopMs: number): void {
    this.stopped = true;
    this.stopMs = stopMs;
    if (this.tickTimer !== undefined) this.o.clock.clearTimer(this.tickTimer);
    this.tickTimer = undefined;
    const warmupEndMs = this.startMs + this.warmupMs;
    if (!this.measuredStarted && stopMs >= warmupEndMs) this.emit(warmupEndMs, true);
    if (stopMs - this.intervalStartMs >= 1) this.emit(stopMs);
  }

  /** The run finished at `nowMs`: the drain's outcomes, when there were any, make one last interval. */
  finish(nowMs: number): void {
    if (this.finished) return;
    const pending = this.measuredStarted ? this.measured : this.warmup;
    if (pending.total > 0 && nowMs > this.intervalStartMs) this.emit(nowMs);
    this.finished = true;
  }

  private armTick(): void {
    if (this.finished || this.stopped) return;
    let at = this.intervalStartMs + this.o.progressSec * 1000;
    const endsWarmup = !this.measuredStarted && at >= this.startMs + this.warmupMs;
    if (endsWarmup) at = this.startMs + this.warmupMs;
    this.tickTimer = this.o.clock.setTimer(() => {
      this.tickTimer = undefined;
      this.emit(at, endsWarmup);
      this.armTick();
    }, Math.max(0, at - this.o.clock.now()));
  }

  private emit(endMs: number, endsWarmup = false): void {
    const startMs = this.intervalStartMs;
    const intervalSec = (endMs - startMs) / 1000;
    if (intervalSec <= 0) return;
    const warmup = !this.measuredStarted;
    const stats = warmup ? this.warmup : this.measured;
    const { clock, schedule } = this.o;
    const fromSec = (startMs - this.startMs) / 1000;
    const toSec = (endMs - this.startMs) / 1000;
    const stopSec = this.stopped ? (this.stopMs - this.startMs) / 1000 : toSec;
    const due = schedule.countBefore(Math.min(toSec, stopSec));
    const report: IntervalReport = {
      tSec: (endMs - this.startMs - this.warmupMs) / 1000,
      epochMs: clock.epochMs() - (clock.now() - endMs),
      intervalSec,
      warmup,
      drain: this.stopped && startMs >= this.stopMs,
      fraction: Math.min(1, toSec / schedule.durationSec),
      stats,
      targetRpm: schedule.meanRate(fromSec, Math.min(toSec, schedule.durationSec)) * 60,
      inFlight: this.probe.inFlight(),
      late: warmup ? this.warmupLate : this.measuredLate,
      backlog: this.stopped ? 0 : Math.max(0, due - this.probe.nextIndex()),
      cumulative: this.probe.cumulative(),
    };
    this.o.onInterval?.(report);
    stats.reset();
    if (warmup) this.warmupLate = 0;
    else this.measuredLate = 0;
    this.intervalStartMs = endMs;
    if (endsWarmup) this.measuredStarted = true;
  }
}
