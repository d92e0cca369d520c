/**
 * The generator's own stalls: times its event loop could not run for a while (a V8 garbage
 * collection, or its own work piling up), so that answers read then were read late and their
 * latencies include the wait. Deno reports no GC pauses to a `PerformanceObserver`, so a timer that
 * should fire every `TICK_MS` measures how late it fired: lateness beyond the timer's ~1–2 ms
 * granularity is a stall of the whole loop, whatever held it. Measured here (2026-12-03): GC pauses
 * of 8–29 ms at their longest per 15 s step of the load benchmark.
 */
import type { Clock } from "./clock.ts";

/** How often the loop is probed, ms (100 wakes a second: a few µs of CPU each). */
export const TICK_MS = 10;
/**
 * A probe at least this late counts as a stall: above the timer's granularity and GC's common 1–5 ms
 * scavenges. (Equal to the engine's default `LATE_BOUND_MS` by choice, not by one rule: that bound is
 * configurable per run, this one is not.)
 */
export const STALL_MS = 10;

export interface StallSummary {
  /** The longest stall, ms (0 when none reached STALL_MS). */
  max_ms: number;
  /** Stalls of STALL_MS or more. */
  count: number;
  /** Their total, ms. */
  total_ms: number;
}

export class StallMonitor {
  #dueMs = 0;
  #timer: unknown;
  #maxMs = 0;
  #count = 0;
  #totalMs = 0;

  constructor(private readonly clock: Clock) {}

  start(): void {
    this.#dueMs = this.clock.now() + TICK_MS;
    this.#timer = this.clock.setTimer(this.#tick, TICK_MS);
  }

  stop(): void {
    if (this.#timer !== undefined) this.clock.clearTimer(this.#timer);
    this.#timer = undefined;
  }

  summary(): StallSummary {
    return { max_ms: round1(this.#maxMs), count: this.#count, total_ms: round1(this.#totalMs) };
  }

  readonly #tick = (): void => {
    const now = this.clock.now();
    const lateMs = now - this.#dueMs;
    if (lateMs >= STALL_MS) {
      this.#count++;
      this.#totalMs += lateMs;
      if (lateMs > this.#maxMs) this.#maxMs = lateMs;
    }
    // From now, not from the missed due time: one stall is one stall, not a burst of late ticks.
    this.#dueMs = now + TICK_MS;
    this.#timer = this.clock.setTimer(this.#tick, TICK_MS);
  };
}

/**
 * Whether stalls were large enough to distort the run's latencies: the longest is at least STALL_MS
 * and at least a tenth of the median latency (a 20 ms pause in a run of 100 ms pages is noise no
 * regression hunt should meet unwarned; in a run of 2 s pages it is not).
 */
export function stallsDistort(stalls: StallSummary, latencyP50Ms: number): boolean {
  return stalls.max_ms >= STALL_MS && stalls.max_ms >= 0.1 * latencyP50Ms;
}

const round1 = (ms: number) => Math.round(ms * 10) / 10;
