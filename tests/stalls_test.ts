/**
 * The generator's own stalls (src/engine/stalls.ts): a probe timer that fires late measures how long
 * the event loop was held (a GC pause, or moodle-load's own work), and the run says so when that is
 * large enough to distort its latencies.
 */
import assert from "node:assert/strict";
import { STALL_MS, StallMonitor, stallsDistort, TICK_MS } from "../src/engine/stalls.ts";
import { realClock } from "../src/engine/clock.ts";
import type { Clock } from "../src/engine/clock.ts";
import { stallWarning } from "../src/commands/run_view.ts";
import type { FullRunSummary } from "../src/results/summary.ts";

/** One pending timer at a time, fired by hand at whatever time the test says. */
class SteppedClock implements Clock {
  t = 0;
  pending?: () => void;
  now = () => this.t;
  epochMs = () => this.t;
  setTimer = (fn: () => void) => (this.pending = fn);
  clearTimer = () => void (this.pending = undefined);
  fireAt(ms: number): void {
    this.t = ms;
    const fn = this.pending!;
    this.pending = undefined;
    fn();
  }
}

Deno.test("probes on time are no stall; a late probe is one stall of its lateness, counted from the next due time", () => {
  const clock = new SteppedClock();
  const monitor = new StallMonitor(clock);
  monitor.start();
  clock.fireAt(TICK_MS + 1); // 1 ms late: the timer's granularity
  clock.fireAt(2 * TICK_MS + 2);
  assert.deepEqual(monitor.summary(), { max_ms: 0, count: 0, total_ms: 0 });
  clock.fireAt(3 * TICK_MS + 2 + 25); // held 25 ms
  clock.fireAt(4 * TICK_MS + 27 + STALL_MS); // held exactly STALL_MS
  assert.deepEqual(monitor.summary(), { max_ms: 25, count: 2, total_ms: 35 });
  monitor.stop();
  assert.equal(clock.pending, undefined, "stop() leaves no timer behind");
});

Deno.test("a real event loop held by 80 ms of work is seen as a stall of about that length", async () => {
  const monitor = new StallMonitor(realClock);
  monitor.start();
  await new Promise((resolve) => setTimeout(resolve, 50));
  const until = performance.now() + 80;
  while (performance.now() < until) Math.sqrt(Math.random());
  await new Promise((resolve) => setTimeout(resolve, 50));
  monitor.stop();
  const stalls = monitor.summary();
  assert.ok(stalls.count >= 1 && stalls.max_ms >= 60, `stalls: ${JSON.stringify(stalls)}`);
});

Deno.test("stalls distort a run when the longest is ≥ 10 ms and ≥ a tenth of the median latency; the run warns then", () => {
  assert.equal(stallsDistort({ max_ms: 25, count: 3, total_ms: 40 }, 100), true);
  assert.equal(stallsDistort({ max_ms: 25, count: 3, total_ms: 40 }, 2000), false, "noise beside 2 s pages");
  assert.equal(stallsDistort({ max_ms: 9, count: 0, total_ms: 0 }, 5), false, "below the stall bound");
  const summary = (generator_stalls?: FullRunSummary["generator_stalls"]) =>
    ({ latency_ms_p50: 100, generator_stalls }) as FullRunSummary;
  const line = stallWarning(summary({ max_ms: 31.5, count: 4, total_ms: 70 }));
  assert.equal(line, "moodle-load: warning: latencies include generator stalls up to 31.5 ms (GC)");
  const longest = stallWarning(summary({ max_ms: 123456.7, count: 1, total_ms: 123456.7 }))!;
  assert.ok(
    longest.endsWith("up to 123.5s (GC)") && longest.length <= 80,
    `one line within 80 columns: ${longest}`,
  );
  assert.equal(stallWarning(summary({ max_ms: 5, count: 0, total_ms: 0 })), undefined);
  assert.equal(stallWarning(summary(undefined)), undefined, "older summaries have no stalls");
});
