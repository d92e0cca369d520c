/**
 * Per-journey accumulators: iterations started, completed and failed (by step and class), the
 * duration of completed journeys from their intended start (think time included) and the think
 * time apart. Steps themselves are the engine's endpoint rows (`journey/step`).
 */
import type { ErrorClass, JourneySpec } from "./types.ts";
import { type Histogram, newHistogram, recordUs } from "./histogram.ts";

export class JourneyStats {
  started = 0;
  completed = 0;
  failed = 0;
  /** Failed journeys by the first step that failed (its endpoint name) and its class. */
  readonly failedBy: Record<string, Partial<Record<ErrorClass, number>>> = {};
  /** Completed journeys: intended start → end of the last step, µs. */
  readonly duration: Histogram = newHistogram();
  /** Completed journeys: the sum of their think times, µs. */
  readonly think: Histogram = newHistogram();

  constructor(readonly spec: JourneySpec) {}

  complete(durationMs: number, thinkMs: number): void {
    this.completed++;
    recordUs(this.duration, durationMs * 1000);
    recordUs(this.think, thinkMs * 1000);
  }

  fail(step: number, errorClass: ErrorClass): void {
    this.failed++;
    const byClass = this.failedBy[this.spec.steps[step]?.name ?? String(step)] ??= {};
    byClass[errorClass] = (byClass[errorClass] ?? 0) + 1;
  }
}
