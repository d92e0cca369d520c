/**
 * The benchmarks' judge of a quiet machine (scripts/bench_quiet.ts): other programs' CPU is told apart
 * from the benchmark's own, which the load average cannot do.
 */
import assert from "node:assert/strict";
import { BUSY_OTHERS_CORES, CpuMeter, judge, QUIET_LOAD } from "../scripts/bench_quiet.ts";

const linux = Deno.build.os === "linux";

Deno.test({
  name: "CPU burnt by this process is ours; a program outside our process tree is counted as others'",
  ignore: !linux,
  fn: async () => {
    const own = new CpuMeter();
    const until = performance.now() + 1500;
    while (performance.now() < until) Math.sqrt(Math.random());
    const ownOthers = own.othersCores();

    // `sh` starts a busy loop in the background and exits: the loop is re-parented away from us.
    await new Deno.Command("sh", { args: ["-c", "timeout 2 sh -c 'while :; do :; done' >/dev/null 2>&1 &"] })
      .output();
    const foreign = new CpuMeter();
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const foreignOthers = foreign.othersCores();
    assert.ok(foreignOthers > 0.5, `a foreign busy loop: ${foreignOthers.toFixed(2)} cores of others'`);
    assert.ok(ownOthers < foreignOthers - 0.4, `our own loop: ${ownOthers.toFixed(2)} cores of others'`);
  },
});

Deno.test("a step is busy when the load had not settled or others used CPU, unless the others are the target", () => {
  assert.equal(judge(0.3, 1.8, 0.01).busy, false, "our own load after the step is not busy");
  assert.equal(judge(QUIET_LOAD, 0.9, 0.01).busy, true);
  assert.equal(judge(0.2, 0.9, BUSY_OTHERS_CORES + 0.05).busy, true);
  assert.equal(
    judge(0.2, 0.9, 0.6, true).busy,
    false,
    "a real site's PHP is the target's, not a neighbour's",
  );
  assert.match(
    judge(0.2, 0.9, 0.6).note,
    /load average 0\.20 → 0\.90; others' CPU 0\.60 cores \(BUSY machine\)/,
  );
});
