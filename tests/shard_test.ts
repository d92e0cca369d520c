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
