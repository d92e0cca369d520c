import assert from "node:assert/strict";
import { decodeHistogram } from "./helpers/histogram.ts";
import { encodeHistogram, newHistogram, percentileMs, recordUs } from "../src/engine/histogram.ts";
import { Stats } from "../src/engine/stats.ts";
import { ERROR_INDEX } from "../src/engine/stats.ts";

Deno.test("histograms: µs in, ms out, percentiles never above the max, exact round trip and merge", () => {
  const h = newHistogram();
  for (let v = 1; v <= 1000; v++) recordUs(h, v * 1000); // 1..1000 ms
  assert.equal(h.totalCount, 1000);
  assert.ok(Math.abs(percentileMs(h, 50) - 500) <= 0.5);
  assert.ok(Math.abs(percentileMs(h, 99) - 990) <= 1);
  assert.ok(percentileMs(h, 100) <= 1000);
  recordUs(h, -5); // clamped to 0
  recordUs(h, 1e12); // clamped to one hour
  assert.equal(h.totalCount, 1002);
  const copy = decodeHistogram(encodeHistogram(h));
  assert.equal(copy.totalCount, h.totalCount);
  assert.equal(copy.getValueAtPercentile(50), h.getValueAtPercentile(50));
  copy.add(h);
  assert.equal(copy.totalCount, 2004);
  assert.equal(percentileMs(newHistogram(), 99), 0);
});

Deno.test("stats: counts by status and error class, bytes, perf footer aggregates, reset", () => {
  const s = new Stats(true);
  s.record(10_000, 8_000, 200, 1000, -1, { timeUsedSec: 0.1, dbReads: 30 });
  s.record(20_000, 9_000, 200, 2000, -1, { timeUsedSec: 0.3, dbReads: 50, sessionWaitSec: 0.002 }, 500);
  s.record(30_000, 30_000, 503, 10, ERROR_INDEX.http_5xx, undefined);
  s.record(40_000, 1_000, 303, 0, ERROR_INDEX.session_lost, undefined);
  assert.deepEqual(s.counts(), {
    total: 4,
    success: 2,
    failures: 2,
    bytes: 3010,
    wire_bytes: 1510,
    status_codes: { "200": 2, "303": 1, "503": 1 },
    errors: { http_5xx: 1, session_lost: 1 },
  });
  const perf = s.perf!.summary()!;
  assert.equal(perf.pages, 2);
  assert.equal(perf.time_used_ms_mean, 200);
  assert.equal(perf.db_reads_mean, 40);
  assert.equal(perf.session_wait_ms_mean, 2);
  assert.equal(perf.db_writes_mean, undefined);
  assert.ok(Math.abs(perf.time_used_ms_p95! - 300) < 0.5);
  const p = s.percentiles();
  assert.ok(Math.abs(p.latency_ms_max - 40) < 0.05);
  assert.ok(Math.abs(p.service_ms_p50 - 8) < 0.01);
  s.reset();
  assert.deepEqual(s.counts(), {
    total: 0,
    success: 0,
    failures: 0,
    bytes: 0,
    wire_bytes: 0,
    status_codes: {},
    errors: {},
  });
  assert.equal(s.percentiles().latency_ms_p99, 0);
});
