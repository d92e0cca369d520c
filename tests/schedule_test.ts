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

const close = (actual: number, expected: number, message?: string) =>
  assert.ok(Math.abs(actual - expected) < 1e-9, `${message ?? ""} ${actual} ≠ ${expected}`);

Deno.test("constant rate: t_i = i / rate, exact count, nothing past the end", () => {
  const s = constantSchedule(600, 60); // 10 req/s for 60 s
  assert.equal(s.totalCount, 600);
  assert.equal(s.timeOf(0), 0);
  close(s.timeOf(1), 0.1);
  close(s.timeOf(10), 1);
  close(s.timeOf(599), 59.9);
  assert.equal(s.timeOf(600), Infinity);
  assert.equal(s.countBefore(0), 0);
  assert.equal(s.countBefore(0.05), 1);
  assert.equal(s.countBefore(1), 10);
  assert.equal(s.countBefore(1.0001), 11);
  assert.equal(s.countBefore(60), 600);
  assert.equal(s.countBefore(1e9), 600);
  close(s.rateAt(30), 10);
  assert.equal(s.rateAt(60), 0);
  close(s.meanRate(), 10);
});

Deno.test("constant rate with a rate that is not a float-exact fraction: counts are not off by one", () => {
  const s = constantSchedule(100, 60); // 1.666… req/s: area is 100 up to float noise
  assert.equal(s.totalCount, 100);
  close(s.timeOf(1), 0.6);
  close(s.timeOf(99), 59.4);
  const t = constantSchedule(7, 3 * 60);
  assert.equal(t.totalCount, 21);
  const odd = constantSchedule(90, 1); // 1.5 requests in the first second: t = 0 and t = 0.666…
  assert.equal(odd.totalCount, 2);
  close(odd.timeOf(1), 2 / 3);
});

Deno.test("no drift: t_i never depends on earlier requests (same value asked twice, out of order)", () => {
  const s = constantSchedule(60_000, 10);
  const forward = Array.from({ length: 10_000 }, (_, i) => s.timeOf(i));
  for (let i = 9_999; i >= 0; i -= 7) assert.equal(s.timeOf(i), forward[i]);
  close(s.timeOf(9_999), 9.999);
});

Deno.test("ramp from 0: t_i = sqrt(2 i / m), stage totals exact", () => {
  // 0 → 1200 rpm (0 → 20 req/s) in 10 s: slope m = 2 req/s², area 100.
  const s = new Schedule(stagesToSegments([{ durationSec: 10, rpm: 1200 }]));
  assert.equal(s.totalCount, 100);
  assert.equal(s.timeOf(0), 0);
  close(s.timeOf(1), 1); // sqrt(2·1/2)
  close(s.timeOf(4), 2);
  close(s.timeOf(25), 5);
  close(s.timeOf(81), 9);
  close(s.timeOf(99), Math.sqrt(99));
  assert.equal(s.timeOf(100), Infinity);
  assert.equal(s.countBefore(5), 25);
  assert.equal(s.countBefore(5.0001), 26);
  close(s.rateAt(5), 10);
});

Deno.test("stages: ramp, hold, ramp down — exact times and totals per stage", () => {
  // 0→600 rpm over 20 s (area 100), hold 600 rpm 30 s (area 300), 600→0 over 10 s (area 50).
  const s = new Schedule(stagesToSegments([
    { durationSec: 20, rpm: 600 },
    { durationSec: 30, rpm: 600 },
    { durationSec: 10, rpm: 0 },
  ]));
  assert.deepEqual(s.countsPerSegment(), [100, 300, 50]);
  assert.equal(s.totalCount, 450);
  // Ramp up: slope 0.5 req/s², t = sqrt(4 i).
  close(s.timeOf(1), 2);
  close(s.timeOf(25), 10);
  close(s.timeOf(100), 20); // the boundary belongs to the earliest time that reaches it
  // Hold at 10 req/s.
  close(s.timeOf(101), 20.1);
  close(s.timeOf(399), 49.9);
  close(s.timeOf(400), 50);
  // Ramp down from 10 req/s with slope −1: 10τ − τ²/2 = x → τ = 10 − sqrt(100 − 2x).
  close(s.timeOf(432), 50 + 10 - Math.sqrt(100 - 64));
  close(s.timeOf(449), 50 + 10 - Math.sqrt(2));
  assert.equal(s.timeOf(450), Infinity);
  for (let i = 1; i < 450; i++) assert.ok(s.timeOf(i) > s.timeOf(i - 1), `monotonic at ${i}`);
  // Asking out of order (cursor jumps back) gives the same answers.
  close(s.timeOf(25), 10);
  close(s.timeOf(432), 60 - 6);
});

Deno.test("stages with a start rate, a flat zero stage and a jump", () => {
  const s = new Schedule([
    ...stagesToSegments([{ durationSec: 10, rpm: 600 }], 600), // flat 10 req/s: 100
    { durationSec: 5, startRate: 0, endRate: 0 }, // pause
    { durationSec: 2, startRate: 50, endRate: 50 }, // jump: 100
  ]);
  assert.deepEqual(s.countsPerSegment(), [100, 0, 100]);
  close(s.timeOf(99), 9.9);
  close(s.timeOf(100), 10); // reached at the end of the first stage
  close(s.timeOf(101), 15.02);
  close(s.timeOf(199), 16.98);
  assert.equal(s.countBefore(12), 101);
});

Deno.test("fitSegments cuts a longer curve and holds the last rate of a shorter one", () => {
  const ramp = stagesToSegments([{ durationSec: 10, rpm: 1200 }]);
  const cut = new Schedule(fitSegments(ramp, 5));
  assert.equal(cut.totalCount, 25);
  const held = new Schedule(fitSegments(ramp, 15)); // + 5 s at 20 req/s
  assert.equal(held.totalCount, 200);
  assert.deepEqual(held.countsPerSegment(), [100, 100]);
});

Deno.test("warm-up is a constant prefix; the measured part starts after it", () => {
  const s = new Schedule(withWarmup(5, 120, stagesToSegments([{ durationSec: 10, rpm: 600 }], 600)));
  assert.deepEqual(s.countsPerSegment(), [10, 100]);
  close(s.timeOf(10), 5);
  assert.equal(s.countBefore(5), 10);
  assert.equal(new Schedule(withWarmup(0, 120, [])).totalCount, 0);
});

Deno.test("profiles: shapes and totals from the base rate", () => {
  const totals: Record<ProfileName, number> = {
    normal: 600, // 10 req/s × 60 s
    peak: 600 * 0.2 * 1.5 * 2 + 600 * 0.6 * 2, // ramps average 1.5R
    stress: 600 * 0.25 * (1 + 2 + 3 + 4),
    spike: 600 * 0.4 * 2 + 600 * 0.2 * 5,
    endurance: 600 - 3 * 10 / 2, // 3 s ramp from 0 misses half of 3 s × 10 req/s
    breaking: 600 * 5.5,
  };
  for (const name of Object.keys(PROFILES) as ProfileName[]) {
    const s = new Schedule(profileSegments(name, 600, 60));
    close(s.durationSec, 60, name);
    assert.equal(s.totalCount, totals[name], name);
  }
  const spike = new Schedule(profileSegments("spike", 600, 100));
  close(spike.rateAt(39.9), 10);
  close(spike.rateAt(40), 50);
  close(spike.rateAt(60), 10);
  const longSoak = profileSegments("endurance", 600, 7200);
  assert.equal(longSoak[0].durationSec, 60);
});

Deno.test("invalid segments are refused", () => {
  assert.throws(() => new Schedule([{ durationSec: -1, startRate: 1, endRate: 1 }]), RangeError);
  assert.throws(() => new Schedule([{ durationSec: 1, startRate: NaN, endRate: 1 }]), RangeError);
});
