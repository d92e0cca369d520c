/** The time line's own bookkeeping, on a clock the test moves: which second each answer lands in. */
import assert from "node:assert/strict";
import type { Clock } from "../src/engine/clock.ts";
import { constantSchedule } from "../src/engine/schedule.ts";
import { Timeline } from "../src/engine/timeline.ts";

/** Time moves only when the test says; due timers fire only when the test fires them. */
class StepClock implements Clock {
  t = 0;
  timers = new Map<number, { at: number; fn: () => void }>();
  private seq = 0;
  now = () => this.t;
  epochMs = () => 1_700_000_000_000 + this.t;
  setTimer = (fn: () => void, delayMs: number) => {
    this.timers.set(++this.seq, { at: this.t + delayMs, fn });
    return this.seq;
  };
  clearTimer = (id: unknown) => void this.timers.delete(id as number);
  fireDue(): void {
    for (const [id, timer] of [...this.timers]) {
      if (timer.at > this.t) continue;
      this.timers.delete(id);
      timer.fn();
    }
  }
}

function fiveSecondTimeline(clock: StepClock): Timeline {
  const timeline = new Timeline({
    clock,
    schedule: constantSchedule(600, 5),
    warmupSec: 0,
    inFlight: () => 0,
  });
  timeline.start(0, clock.epochMs());
  return timeline;
}

Deno.test("a second's timer that fires late, after an answer already closed that second, does not close the next one", () => {
  const clock = new StepClock();
  const timeline = fiveSecondTimeline(clock);
  for (const ms of [100, 500, 900]) timeline.record(ms, 1000, -1);
  // A busy event loop: the answer at 1 005 ms is handled before the timer due at 1 000 ms.
  clock.t = 1005;
  timeline.record(1005, 1000, -1);
  clock.fireDue();
  for (const ms of [1300, 1600, 1900]) {
    clock.t = ms;
    timeline.record(ms, 1000, -1);
  }
  clock.t = 2000;
  clock.fireDue();
  assert.deepEqual(timeline.points.map((p) => p.total), [3, 4], "second 2 keeps its 4 answers");
  assert.deepEqual(timeline.points.map((p) => p.t_sec), [1, 2]);
});

Deno.test("a timer on time closes each second, empty ones too, and the last second takes the drain", () => {
  const clock = new StepClock();
  const timeline = fiveSecondTimeline(clock);
  for (let ms = 250; ms < 5000; ms += 250) {
    clock.t = ms;
    clock.fireDue();
    if (ms < 2000 || ms >= 3000) timeline.record(ms, 1000, ms % 1000 === 500 ? 0 : -1);
  }
  clock.t = 5000;
  clock.fireDue();
  timeline.stop(5000);
  timeline.record(5200, 1000, -1); // an answer draining after scheduling stopped
  timeline.finish();
  assert.deepEqual(timeline.points.map((p) => p.total), [3, 4, 0, 4, 5]);
  assert.deepEqual(timeline.points.map((p) => p.failures), [1, 1, 0, 1, 1]);
});
