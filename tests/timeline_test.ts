/** The 1-second time line: in the summary of a real run whatever --progress is, and in the report's charts. */
import assert from "node:assert/strict";
import { buildCharts } from "../src/report/charts.ts";
import { chartRows, MAX_POINTS, mergePoints } from "../src/report/rows.ts";
import type { TimelinePoint } from "../src/results/summary_types.ts";
import { demoRun } from "./helpers/demo_run.ts";
import { demoSummary } from "./helpers/run_dir_fixture.ts";

Deno.test("a 17 s run with the default 30 s progress: 17 one-second points, charts drawn from them", async () => {
  const dir = await Deno.makeTempDir({ prefix: "timeline_cli_" });
  try {
    const { summary, stdout } = await demoRun(dir, 600, 17, ["--progress", "30", "--quiet"]);
    const timeline = summary.timeline!;
    assert.deepEqual(timeline.map((p) => p.t_sec), Array.from({ length: 17 }, (_, k) => k + 1));
    assert.ok(
      summary.intervals.length <= 2,
      `one progress interval (and maybe a drain row): ${summary.intervals.length}`,
    );
    assert.equal(timeline.reduce((sum, p) => sum + p.total, 0), summary.total);
    assert.equal(timeline.reduce((sum, p) => sum + p.failures, 0), summary.failures);
    for (const p of timeline) {
      assert.equal(p.target_rpm, 600);
      // About 10 answers a second. A second of 0 next to one of 20 was a real bug: a late second timer
      // closed the second that had just begun (tests/timeline_unit_test.ts).
      assert.ok(
        p.total >= 4 && p.total <= 16,
        `about 10 answers each second: ${JSON.stringify(timeline.map((q) => q.total))}`,
      );
      assert.ok(p.latency_ms_p50 > 0 && p.latency_ms_p50 <= p.latency_ms_p95, JSON.stringify(p));
      assert.ok(p.latency_ms_p99 <= p.latency_ms_max);
    }
    // each second per endpoint too: the endpoints' answers add up to the second's and to the run's
    for (const p of timeline) {
      assert.equal(p.endpoints!.length, summary.endpoints.length);
      assert.equal(p.endpoints!.reduce((sum, e) => sum + e[0], 0), p.total, JSON.stringify(p));
      assert.equal(p.endpoints!.reduce((sum, e) => sum + e[1], 0), p.failures);
    }
    summary.endpoints.forEach((endpoint, k) => {
      assert.equal(timeline.reduce((sum, p) => sum + p.endpoints![k][0], 0), endpoint.total, endpoint.name);
    });
    const printed = JSON.parse(stdout.trim().split("\n").at(-1)!);
    assert.equal(printed.timeline, 17, "stdout carries the count, not the points");
    const charts = buildCharts(summary, []).charts;
    for (const id of ["rate", "latency", "errors"]) {
      const chart = charts.find((c) => c.id === id)!;
      assert.equal(chart.x.length, 17, id);
    }
    const byEndpoint = charts.find((c) => c.id === "endpoint-rate")!;
    assert.equal(byEndpoint.x.length, 17);
    const busiest = [...summary.endpoints].sort((a, b) => b.total - a.total)[0];
    const k = summary.endpoints.indexOf(busiest);
    assert.deepEqual(byEndpoint.series[0].values, timeline.map((p) => p.endpoints![k][0] * 60));
    const rate = charts.find((c) => c.id === "rate")!;
    assert.deepEqual(rate.series[1].values, timeline.map((p) => p.total * 60));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

function second(k: number, total: number, p99: number, errors: Record<string, number> = {}): TimelinePoint {
  return {
    t_sec: k + 1,
    epoch_ms: 1_700_000_000_000 + (k + 1) * 1000,
    span_sec: 1,
    total,
    failures: Object.values(errors).reduce((a, b) => a + b, 0),
    errors,
    latency_ms_p50: 10,
    latency_ms_p95: 20,
    latency_ms_p99: p99,
    latency_ms_max: p99 * 2,
    in_flight: 1,
    target_rpm: 600,
  };
}

Deno.test("a 1-hour time line is drawn as at most 600 rows: counts exact, the worst second kept", () => {
  const timeline = Array.from(
    { length: 3600 },
    (_, k) => second(k, 10, k === 1234 ? 900 : 30, k % 7 ? {} : { timeout: 1 }),
  );
  const { rows, source, secondsPerRow } = chartRows({ ...demoSummary(), timeline });
  assert.equal(source, "timeline");
  assert.equal(secondsPerRow, 6);
  assert.ok(rows.length <= MAX_POINTS);
  assert.equal(rows.reduce((a, r) => a + r.total, 0), 36_000);
  assert.equal(
    rows.reduce((a, r) => a + (r.errors.timeout ?? 0), 0),
    timeline.filter((p) => p.failures).length,
  );
  assert.equal(Math.max(...rows.map((r) => r.p99)), 900, "a one-second spike survives the merge");
  assert.equal(rows[0].spanSec, 6);
  assert.equal(rows[0].targetRpm, 600);
  const merged = mergePoints([second(0, 10, 30), second(1, 30, 50), second(2, 0, 0)]);
  assert.equal(merged.p50, 10);
  assert.equal(merged.p99, 50);
  assert.equal(merged.total, 40);
  // per endpoint, the same rule: answers and failures add up, p50 count-weighted, the worst p95 kept
  const withEndpoints = mergePoints([
    { ...second(0, 10, 30), endpoints: [[6, 1, 10, 40], [4, 0, 20, 25]] },
    { ...second(1, 30, 50), endpoints: [[2, 0, 40, 90], [0, 0, 0, 0]] },
  ]);
  assert.deepEqual(withEndpoints.endpoints, [[8, 1, 17.5, 90], [4, 0, 20, 25]]);
  const old = chartRows(demoSummary());
  assert.equal(old.source, "intervals", "a summary without a time line is drawn from its intervals");
});

Deno.test("in flight and re-logins over time: from the time line, re-logins summed when seconds merge, absent → not drawn", () => {
  const relogins = [0, 2, 0, 1, 0, 0, 3];
  const timeline = relogins.map((n, k) => ({
    ...second(k, 10, 30),
    in_flight: k + 1,
    in_flight_max: 2 * k + 3,
    relogins: n,
  }));
  const chart = buildCharts({ ...demoSummary(), timeline }, []).charts.find((c) => c.id === "in-flight")!;
  assert.equal(chart.title, "In flight and re-logins");
  assert.deepEqual(chart.series.map((s) => s.label), ["in flight (peak)", "re-logins"]);
  assert.deepEqual(chart.series[0].values, [3, 5, 7, 9, 11, 13, 15], "the peak of each second");
  assert.deepEqual(chart.series[1].values, relogins);
  assert.equal(chart.x.length, 7);
  // a long run is re-bucketed: the re-logins of a row add up to its seconds' (none lost)
  const long = Array.from(
    { length: 3600 },
    (_, k) => ({ ...second(k, 10, 30), relogins: k % 100 === 0 ? 1 : 0 }),
  );
  const merged = buildCharts({ ...demoSummary(), timeline: long }, []).charts.find((c) =>
    c.id === "in-flight"
  )!;
  assert.equal(merged.x.length, 600);
  assert.equal((merged.series[1].values as number[]).reduce((a, b) => a + b, 0), 36);
  assert.deepEqual(mergePoints(timeline.slice(0, 3)).inFlightMax, 7, "merged seconds keep the highest peak");
  // a time line written before re-logins were kept: in flight alone; no time line at all: no chart
  const older = buildCharts({
    ...demoSummary(),
    timeline: timeline.map(({ relogins: _, in_flight_max: _max, ...p }) => p),
  }, [])
    .charts.find((c) => c.id === "in-flight")!;
  assert.deepEqual(older.series.map((s) => s.label), ["in flight"]);
  assert.deepEqual(older.series[0].values, [1, 2, 3, 4, 5, 6, 7], "the sample at each second's end");
  assert.equal(buildCharts(demoSummary(), []).charts.find((c) => c.id === "in-flight"), undefined);
});
