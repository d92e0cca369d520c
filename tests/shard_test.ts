/** Shards, pure: the striping of schedules, users and the request sequence (src/engine/shard.ts). */
import assert from "node:assert/strict";
import {
  constantSchedule,
  fitSegments,
  type ProfileName,
  PROFILES,
  profileSegments,
  Schedule,
  stagesToSegments,
  withWarmup,
} from "../src/engine/schedule.ts";
import {
  localUser,
  ShardedPicker,
  ShardedSchedule,
  type ShardSpec,
  shardUserIndices,
  stripeSize,
} from "../src/engine/shard.ts";
import { TargetPicker } from "../src/engine/targets.ts";
import { compileEndpoints } from "../src/config/endpoints.ts";
import { parseStartAt, resolveShard, type ShardEnvName } from "../src/config/shard.ts";
import { UserError } from "../src/errors.ts";
import { validateConfig } from "../src/config/load.ts";
import { planRun } from "../src/config/plan.ts";
import { LATE_START_BOUND_MS, scheduleHash, ShardRun } from "../src/commands/run_shard.ts";
import { mergeIntervals } from "../src/results/merge.ts";
import type { IntervalSummary } from "../src/results/summary_types.ts";
import { encodeHistogram, newHistogram, percentileMs, recordUs } from "../src/engine/histogram.ts";

const SCHEDULES: [string, Schedule][] = [
  ["constant 600 rpm 10 s", constantSchedule(600, 10)],
  ["constant 7 rpm 61 s (fractional)", constantSchedule(7, 61)],
  [
    "stages ramp 0→900→300 rpm",
    new Schedule(stagesToSegments([{ durationSec: 7, rpm: 900 }, { durationSec: 5, rpm: 300 }])),
  ],
  [
    "warm-up + ramp cut by duration",
    new Schedule(withWarmup(3, 120, fitSegments(stagesToSegments([{ durationSec: 20, rpm: 1000 }]), 9))),
  ],
  [
    "zero-rate pause",
    new Schedule([
      { durationSec: 2, startRate: 3, endRate: 3 },
      { durationSec: 2, startRate: 0, endRate: 0 },
      { durationSec: 2, startRate: 5, endRate: 1 },
    ]),
  ],
  ...Object.keys(PROFILES).map((name): [string, Schedule] => [
    `profile ${name}`,
    new Schedule(profileSegments(name as ProfileName, 333, 17)),
  ]),
];

function shards(count: number): ShardSpec[] {
  return Array.from({ length: count }, (_, index) => ({ index, count }));
}

Deno.test("striping: the N shards' (index, intended time) pairs are exactly the single schedule's, N = 1…7", () => {
  for (const [name, single] of SCHEDULES) {
    const expected = Array.from({ length: single.totalCount }, (_, j) => `${j}@${single.timeOf(j)}`);
    assert.ok(single.totalCount > 0, name);
    for (let n = 1; n <= 7; n++) {
      const union: [number, string][] = [];
      let totals = 0;
      for (const shard of shards(n)) {
        const striped = new ShardedSchedule(single, shard);
        assert.equal(striped.durationSec, single.durationSec);
        totals += striped.totalCount;
        for (let k = 0; k < striped.totalCount; k++) {
          const j = k * n + shard.index;
          assert.equal(j % n, shard.index);
          union.push([j, `${j}@${striped.timeOf(k)}`]);
        }
        assert.equal(striped.timeOf(striped.totalCount), Infinity);
        assert.ok(Number.isNaN(striped.timeOf(-1)));
        assert.ok(Math.abs(striped.meanRate(0, single.durationSec) * n - single.meanRate()) < 1e-9);
      }
      assert.equal(totals, single.totalCount, `${name}, N=${n}`);
      union.sort((a, b) => a[0] - b[0]);
      assert.deepEqual(union.map(([, s]) => s), expected, `${name}, N=${n}`);
    }
  }
});

Deno.test("striping: countBefore(t) is the number of the shard's requests with t_k < t, at every t", () => {
  for (const [name, single] of SCHEDULES) {
    for (let n = 1; n <= 7; n++) {
      for (const shard of shards(n)) {
        const striped = new ShardedSchedule(single, shard);
        const times = Array.from({ length: striped.totalCount }, (_, k) => striped.timeOf(k));
        // Probe at every intended time, just after it, and on a grid (pauses, segment borders).
        const probes = [...times, ...times.map((t) => t + 1e-7)];
        for (let t = -1; t <= single.durationSec + 1; t += 0.37) probes.push(t);
        for (const t of probes) {
          const expected = times.filter((x) => x < t).length;
          assert.equal(striped.countBefore(t), expected, `${name} N=${n} I=${shard.index} t=${t}`);
        }
        // The shards' counts before any t add up to the single schedule's.
      }
      for (let t = 0; t <= single.durationSec; t += 0.5) {
        const sum = shards(n).reduce((acc, s) => acc + new ShardedSchedule(single, s).countBefore(t), 0);
        assert.equal(sum, single.countBefore(t), `${name} N=${n} t=${t}`);
      }
    }
  }
});

Deno.test("users: the shards' slices are disjoint and cover the pool; stripeSize counts them", () => {
  for (let users = 0; users <= 23; users++) {
    for (let n = 1; n <= 7; n++) {
      const seen = new Map<number, number>();
      for (const shard of shards(n)) {
        const slice = shardUserIndices(users, shard);
        assert.equal(slice.length, stripeSize(users, shard));
        for (const u of slice) {
          assert.equal(u % n, shard.index);
          assert.ok(!seen.has(u), `user ${u} in two shards`);
          seen.set(u, shard.index);
        }
      }
      assert.deepEqual([...seen.keys()].sort((a, b) => a - b), Array.from({ length: users }, (_, u) => u));
    }
  }
});

const ENDPOINTS = compileEndpoints(
  "http://127.0.0.1/moodle",
  [
    { path: "/course/view.php?id={courseid}", name: "course", weight: 3 },
    { path: "/mod/forum/discuss.php?d={d}", name: "discuss" },
    { path: "/my/", weight: 0.5 },
  ],
  { courseid: { min: 2, max: 40 }, d: { values: ["7", "8", "9"] } },
);

Deno.test("picker: each shard's request k is global request k·N+I (endpoint, URL); its user is in the slice", () => {
  const users = 11;
  const single = new TargetPicker(ENDPOINTS, users, 42);
  const global = Array.from({ length: 500 }, () => {
    single.next();
    return { endpoint: single.endpoint, url: single.url, user: single.user };
  });
  for (let n = 1; n <= 7; n++) {
    for (const shard of shards(n)) {
      const slice = shardUserIndices(users, shard);
      const picker = new ShardedPicker(new TargetPicker(ENDPOINTS, users, 42), shard, slice);
      assert.equal(picker.users, slice.length);
      for (let k = 0; k * n + shard.index < global.length; k++) {
        picker.next();
        const expected = global[k * n + shard.index];
        assert.equal(picker.endpoint, expected.endpoint);
        assert.ok(picker.user >= 0 && picker.user < slice.length);
        assert.equal(picker.urlFor(picker.user), expected.url);
        // A preferred user of this shard is kept; another shard's maps deterministically into the slice.
        if (expected.user % n === shard.index) assert.equal(slice[picker.user], expected.user);
        assert.equal(picker.user, localUser(expected.user, shard, slice.length));
      }
    }
  }
});

Deno.test("picker: with per-user pools the value comes from the pool of the shard user who sends it", () => {
  const usernames = ["a", "b", "c", "d", "e"];
  const pooled = compileEndpoints("http://x", [{ path: "/course/view.php?id={c}" }], {
    c: { from: "enrolled_courses" },
  }, {
    usernames,
    pools: { users: Object.fromEntries(usernames.map((u, i) => [u, { enrolled_courses: [100 + i] }])) },
  });
  const shard = { index: 1, count: 2 };
  const slice = shardUserIndices(usernames.length, shard); // b, d
  const picker = new ShardedPicker(new TargetPicker(pooled, usernames.length, 3), shard, slice);
  for (let k = 0; k < 50; k++) {
    picker.next();
    for (let local = 0; local < slice.length; local++) {
      assert.equal(picker.urlFor(local), `http://x/course/view.php?id=${100 + slice[local]}`);
    }
  }
});

const env = (vars: Partial<Record<ShardEnvName, string>>) => (name: ShardEnvName) => vars[name];

function refused(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof UserError);
    assert.equal(error.exitCode, 2);
    assert.match(error.message, pattern);
    return true;
  });
}

Deno.test("--shard: I/N as given, auto from Kubernetes (0-based + count) or GitLab (1-based), else one line", () => {
  assert.equal(resolveShard(undefined, undefined, env({})), undefined);
  assert.deepEqual(resolveShard("2/5", undefined, env({})), { index: 2, count: 5 });
  assert.deepEqual(resolveShard("auto", 4, env({ JOB_COMPLETION_INDEX: "3" })), { index: 3, count: 4 });
  assert.deepEqual(
    resolveShard("auto", undefined, env({ JOB_COMPLETION_INDEX: "0", MOODLE_LOAD_SHARDS: "2" })),
    { index: 0, count: 2 },
  );
  assert.deepEqual(resolveShard("auto", undefined, env({ CI_NODE_INDEX: "1", CI_NODE_TOTAL: "3" })), {
    index: 0,
    count: 3,
  });
  assert.deepEqual(resolveShard("auto", undefined, env({ CI_NODE_INDEX: "3", CI_NODE_TOTAL: "3" })), {
    index: 2,
    count: 3,
  });
  refused(() => resolveShard("auto", undefined, env({})), /cannot tell this shard's index/);
  refused(() => resolveShard("auto", undefined, env({ JOB_COMPLETION_INDEX: "1" })), /no shard count/);
  refused(() => resolveShard("auto", 2, env({ JOB_COMPLETION_INDEX: "2" })), /shard 2 of 2/);
  refused(() => resolveShard("auto", undefined, env({ CI_NODE_INDEX: "0", CI_NODE_TOTAL: "2" })), /≥ 1/);
  refused(() => resolveShard("1/4", 3, env({})), /disagree/);
  refused(() => resolveShard(undefined, 3, env({})), /--shard-count goes with --shard auto/);
  assert.throws(() => resolveShard("4/4", undefined, env({})), /0 ≤ I < N/);
});

Deno.test("--start-at: ISO with a zone or epoch ms; anything else is refused", () => {
  assert.equal(parseStartAt("2026-11-21T10:00:00Z"), Date.UTC(2026, 10, 21, 10));
  assert.equal(parseStartAt("2026-11-21T11:00:00+01:00"), Date.UTC(2026, 10, 21, 10));
  assert.equal(parseStartAt("1795000000000"), 1795000000000);
  for (const bad of ["2026-11-21T10:00:00", "tomorrow", "1795000000", ""]) {
    assert.throws(() => parseStartAt(bad), /--start-at must be/);
  }
});

const CONFIG = validateConfig({
  base_url: "http://127.0.0.1:1/moodle",
  users: Array.from({ length: 5 }, (_, u) => ({ username: `u${u}`, password: "p" })),
  parameters: { id: { min: 1, max: 9 } },
  urls: [{ path: "/course/view.php?id={id}" }, { path: "/my/" }],
}, "test.json");

Deno.test("schedule hash: the rate curve, seed and URLs change it; users and passwords do not", async () => {
  const plan = planRun(CONFIG, { rpm: 600, duration: 60, warmup: 0 });
  const hash = await scheduleHash(CONFIG, plan, 1);
  assert.match(hash, /^[0-9a-f]{64}$/);
  const otherUsers = { ...CONFIG, users: [{ username: "x", password: "secret" }] };
  assert.equal(await scheduleHash(otherUsers, plan, 1), hash);
  assert.notEqual(await scheduleHash(CONFIG, plan, 2), hash);
  assert.notEqual(
    await scheduleHash(CONFIG, planRun(CONFIG, { rpm: 601, duration: 60, warmup: 0 }), 1),
    hash,
  );
  assert.notEqual(
    await scheduleHash(CONFIG, planRun(CONFIG, { rpm: 600, duration: 60, warmup: 5 }), 1),
    hash,
  );
  assert.notEqual(await scheduleHash({ ...CONFIG, urls: CONFIG.urls.slice(1) }, plan, 1), hash);
});

Deno.test("a shard ready late keeps the agreed instant and skips what is more than the bound late", async () => {
  const plan = planRun(CONFIG, { rpm: 600, duration: 60, warmup: 0 });
  const startAt = Date.now() - 3000;
  // Planned (before the login phase) while the instant was still ahead…
  const shard = await ShardRun.plan({ shard: "1/2", startAt }, CONFIG, plan, 1, env({}), startAt - 1000);
  assert.deepEqual(shard.config.users.map((u) => u.username), ["u1", "u3"]);
  const lines: string[] = [];
  // …and ready three seconds after it.
  const start = await shard.waitForStart((line) => lines.push(line), new AbortController().signal);
  assert.equal(start.startAtEpochMs, startAt);
  const skipped = start.skipBeforeSec!;
  assert.ok(skipped >= (3000 - LATE_START_BOUND_MS) / 1000 && skipped < 3, String(skipped));
  assert.match(lines.join("\n"), /late start: ready 3\.\d s after --start-at; .* not sent \(not_sent\)/);
  // Planned after the instant: refused before anyone logs in.
  await assert.rejects(
    () => ShardRun.plan({ shard: "1/2", startAt }, CONFIG, plan, 1, env({})),
    (error: unknown) =>
      error instanceof UserError && error.exitCode === 2 && /has passed/.test(error.message),
  );
});

function row(
  epochMs: number,
  latenciesMs: number[],
  extra: Partial<IntervalSummary & { drain: boolean }> = {},
) {
  const latency = newHistogram();
  for (const ms of latenciesMs) recordUs(latency, ms * 1000);
  return {
    t_sec: 0,
    epoch_ms: epochMs,
    interval_sec: 1,
    warmup: false,
    target_rpm: 100,
    observed_rpm: latenciesMs.length * 60,
    in_flight: 1,
    late: 0,
    backlog: 0,
    total: latenciesMs.length,
    success: latenciesMs.length,
    failures: 0,
    bytes: 10 * latenciesMs.length,
    status_codes: { "200": latenciesMs.length },
    errors: {},
    latency_ms_p50: 0,
    latency_ms_p90: 0,
    latency_ms_p95: 0,
    latency_ms_p99: 0,
    latency_ms_max: Math.max(0, ...latenciesMs),
    latency_ms_mean: 0,
    service_ms_p50: 0,
    service_ms_p95: 0,
    service_ms_p99: 0,
    histogram: encodeHistogram(latency),
    service_histogram: encodeHistogram(latency),
    ...extra,
  };
}

Deno.test("merge: progress rows align by wall-clock time (ms jitter), percentiles from the merged rows; drains last", () => {
  const t0 = 1_800_000_000_000;
  const merged = mergeIntervals([
    [row(t0 + 1000, [10, 20]), row(t0 + 2000, [30]), row(t0 + 2400, [5], { drain: true })],
    [row(t0 + 1001, [40]), row(t0 + 1999, [50, 60]), row(t0 + 2100, [7], { drain: true })],
    [row(t0 + 999, []), row(t0 + 2001, [70])],
  ]);
  assert.deepEqual(merged.map((r) => r.epoch_ms), [t0 + 1001, t0 + 2001, t0 + 2400]);
  assert.deepEqual(merged.map((r) => r.total), [3, 4, 2]);
  assert.deepEqual(merged.map((r) => r.target_rpm), [300, 300, 200]);
  assert.deepEqual(merged.map((r) => r.observed_rpm), [180, 240, 120]);
  // As if one process had recorded all of them.
  const first = newHistogram();
  for (const ms of [10, 20, 40]) recordUs(first, ms * 1000);
  assert.equal(merged[0].latency_ms_p50, percentileMs(first, 50));
  assert.equal(merged[0].histogram, encodeHistogram(first));
  assert.equal(merged[1].latency_ms_max, 70.015);
  assert.equal((merged[2] as { drain?: boolean }).drain, true);
  assert.deepEqual(merged[1].status_codes, { "200": 4 });
});

Deno.test("a shard refuses (exit 2, one line) when any user's pool is empty: its picker draws for every user", async () => {
  const pooled = validateConfig({
    ...CONFIG,
    parameters: { c: { from: "enrolled_courses" } },
    urls: [{ path: "/course/view.php?id={c}" }],
    pools: {
      users: { u0: { enrolled_courses: [2] }, u1: { enrolled_courses: [3] }, u2: { enrolled_courses: [] } },
    },
  }, "test.json");
  const plan = planRun(pooled, { rpm: 600, duration: 60, warmup: 0 });
  await assert.rejects(
    () => ShardRun.plan({ shard: "1/2" }, pooled, plan, 1, env({})),
    (error: unknown) =>
      error instanceof UserError && error.exitCode === 2 &&
      /user "u2" has no enrolled_courses/.test(error.message),
  );
});
