import assert from "node:assert/strict";
import { join } from "node:path";
import { compareSummaries } from "../src/compare/compare.ts";
import { decodeDistribution, quantile } from "../src/compare/distribution.ts";
import { evaluateFailOn, parseFailOn } from "../src/compare/fail_on.ts";
import { bootstrapQuantileRatio, holmAdjust, mannWhitneyU, twoProportionTest } from "../src/compare/stats.ts";
import { beta } from "../src/compare/random.ts";
import { seededRandom } from "../src/util/random.ts";
import { makeRunSummary, moodleMix, type RunSpec } from "./helpers/run_fixture.ts";
import { runCli } from "./helpers/cli.ts";

const spec = (seed: number, overrides: Parameters<typeof moodleMix>[0] = {}): RunSpec => ({
  endpoints: moodleMix(overrides),
  targetRpm: 1800,
  durationSec: 120,
  seed,
});

Deno.test("a histogram decodes to the same quantiles hdr-histogram-js reports", () => {
  const summary = makeRunSummary(spec(3));
  const distribution = decodeDistribution(summary.histograms.latency);
  assert.equal(distribution.total, summary.total);
  assert.equal(quantile(distribution, 0.5), summary.latency_ms_p50);
  assert.equal(quantile(distribution, 0.95), summary.latency_ms_p95);
  assert.equal(quantile(distribution, 0.99), summary.latency_ms_p99);
});

Deno.test("Beta draws have the right mean (the exact order-statistic bootstrap relies on it)", () => {
  const random = seededRandom(5);
  for (const [a, b] of [[2, 5], [950, 51], [0.5, 0.5]]) {
    let sum = 0;
    for (let i = 0; i < 20000; i++) sum += beta(a, b, random);
    assert.ok(Math.abs(sum / 20000 - a / (a + b)) < 0.01, `${a},${b}: ${sum / 20000}`);
  }
});

Deno.test("statistics: Mann–Whitney, two proportions, Holm", () => {
  const low = [10, 11, 12, 13, 14, 15];
  const high = low.map((v) => v * 2);
  const shifted = mannWhitneyU(low, high);
  assert.ok(shifted.p < 0.01 && shifted.z > 0, JSON.stringify(shifted));
  assert.ok(mannWhitneyU(low, [...low].reverse()).p > 0.9);
  assert.ok(twoProportionTest(10, 1000, 50, 1000).p < 0.001);
  assert.ok(twoProportionTest(10, 1000, 12, 1000).p > 0.5);
  assert.deepEqual(holmAdjust([0.01, 0.04, 0.03, NaN]).map((p) => Number(p.toFixed(4))), [
    0.03,
    0.06,
    0.06,
    NaN,
  ]);
});

Deno.test("bootstrap interval of a quantile ratio covers the true ratio", () => {
  const a = decodeDistribution(makeRunSummary(spec(11)).histograms.latency);
  const b = decodeDistribution(
    makeRunSummary(spec(12, { course_view: { medianMs: 360 } })).histograms.latency,
  );
  const same = bootstrapQuantileRatio(
    a,
    decodeDistribution(makeRunSummary(spec(13)).histograms.latency),
    0.5,
  );
  assert.ok(same.low < 1 && same.high > 1, JSON.stringify(same));
  const slower = bootstrapQuantileRatio(a, b, 0.5);
  assert.ok(slower.low > 1.1, JSON.stringify(slower));
});

Deno.test("compare: an endpoint 2× slower is a regression, only there", () => {
  const base = makeRunSummary(spec(21));
  const candidate = makeRunSummary(spec(22, { forum_view: { medianMs: 240 } }));
  const comparison = compareSummaries(base, candidate);
  assert.equal(comparison.verdict, "regression");
  const forum = comparison.endpoints.find((e) => e.name === "forum_view")!;
  assert.equal(forum.verdict, "regression");
  for (const metric of ["p50", "p95"]) {
    const m = forum.metrics.find((x) => x.metric === metric)!;
    assert.equal(m.verdict, "regression", `${metric}: ${m.reason}`);
    assert.ok(m.change! > 0.6 && m.change! < 1.4, `${metric} change ${m.change}`);
    assert.ok(m.change_interval![0] > 0.3, `${metric} interval ${m.change_interval}`);
  }
  for (const name of ["course_view", "dashboard"]) {
    assert.equal(comparison.endpoints.find((e) => e.name === name)!.verdict, "no significant change", name);
  }
  // and the other way round it is an improvement
  assert.equal(
    compareSummaries(candidate, base).endpoints.find((e) => e.name === "forum_view")!.verdict,
    "improvement",
  );
});

Deno.test("compare: runs of the same setup (independent samples) show no significant change", () => {
  for (const [a, b] of [[31, 32], [33, 34], [35, 36], [37, 38]]) {
    const comparison = compareSummaries(makeRunSummary(spec(a)), makeRunSummary(spec(b)));
    assert.equal(
      comparison.verdict,
      "no significant change",
      `${a}/${b}: ${comparison.regressions} ${comparison.improvements}`,
    );
  }
});

Deno.test("compare: more errors and a lower achieved rate are regressions", () => {
  const base = makeRunSummary(spec(41));
  const candidate = makeRunSummary({ ...spec(42, { course_view: { errorRate: 0.05 } }), achieved: 0.8 });
  const comparison = compareSummaries(base, candidate);
  const course = comparison.endpoints.find((e) => e.name === "course_view")!;
  assert.equal(course.metrics.find((m) => m.metric === "error_rate")!.verdict, "regression");
  assert.equal(comparison.overall.metrics.find((m) => m.metric === "rpm_observed")!.verdict, "regression");
});

Deno.test("compare: a quantile needs enough requests above it before it gets a verdict", () => {
  const tiny = { ...spec(51), durationSec: 10, targetRpm: 600 };
  const comparison = compareSummaries(makeRunSummary(tiny), makeRunSummary({ ...tiny, seed: 52 }));
  const p99 = comparison.overall.metrics.find((m) => m.metric === "p99")!;
  assert.equal(p99.verdict, "not comparable");
  assert.match(p99.reason, /too few requests/);
});

Deno.test("--fail-on parses criteria and fires only on significant changes past the limit", () => {
  assert.deepEqual(parseFailOn("p95>+10%"), {
    source: "p95>+10%",
    scope: undefined,
    metric: "p95",
    kind: "relative",
    direction: ">",
    limit: 0.1,
  });
  assert.equal(parseFailOn("error_rate>+0.5pp").kind, "absolute");
  assert.equal(parseFailOn("course_view:p99>+20%").scope, "course_view");
  assert.throws(() => parseFailOn("p95>10ms"), /expected/);
  assert.throws(() => parseFailOn("p95>+1pp"), /error_rate only/);
  const base = makeRunSummary(spec(61));
  const slower = compareSummaries(base, makeRunSummary(spec(62, { forum_view: { medianMs: 240 } })));
  const same = compareSummaries(base, makeRunSummary(spec(63)));
  const criteria = ["forum_view:p95>+10%", "forum_view:p95>+500%", "*:p50>+10%", "regression", "nope:p95>+1%"]
    .map(parseFailOn);
  const hits = evaluateFailOn(criteria, slower);
  const fired = new Set(hits.map((h) => h.criterion));
  assert.ok(fired.has("forum_view:p95>+10%"));
  assert.ok(!fired.has("forum_view:p95>+500%"));
  assert.ok(fired.has("*:p50>+10%"));
  assert.ok(fired.has("regression"));
  assert.ok(fired.has("nope:p95>+1%"), "an unknown endpoint must not pass silently");
  assert.deepEqual(evaluateFailOn(criteria.slice(0, 4), same), []);
});

Deno.test("moodle-load compare: table, --json, --fail-on exit 99, run directories", async () => {
  const dir = await Deno.makeTempDir({ prefix: "compare_test_" });
  try {
    const write = async (name: string, summary: unknown) => {
      await Deno.mkdir(join(dir, name));
      await Deno.writeTextFile(join(dir, name, "load_summary_20261121-050000.json"), JSON.stringify(summary));
      return join(dir, name);
    };
    const perf = (reads: number) => ({ pages: 900, time_used_ms_mean: 140, db_reads_mean: reads });
    const base = await write("base", makeRunSummary(spec(71, { course_view: { perf: perf(120) } })));
    const slow = await write(
      "slow",
      makeRunSummary(spec(72, { forum_view: { medianMs: 240 }, course_view: { perf: perf(180) } })),
    );
    const same = await write("same", makeRunSummary(spec(73, { course_view: { perf: perf(120) } })));

    const text = await runCli(["compare", base, slow]);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /forum_view\s+\d+→\d+\s+\S+ \+\d+(\.\d)?% ✗/);
    assert.match(text.stdout, /Verdict: REGRESSION: .*forum_view p50/);
    assert.match(text.stdout, /DB reads/);
    assert.match(text.stdout, /120→180 \+50\.0%/);

    const failing = await runCli(["compare", base, slow, "--fail-on", "forum_view:p95>+10%"]);
    assert.equal(failing.code, 99, failing.stderr);
    assert.equal(failing.stderr.trim(), "moodle-load: --fail-on crossed: forum_view p95");

    const passing = await runCli([
      "compare",
      base,
      join(same, "load_summary_20261121-050000.json"),
      "--fail-on",
      "*:p95>+10%",
    ]);
    assert.equal(passing.code, 0, passing.stderr + passing.stdout);
    assert.match(passing.stdout, /Verdict: no significant change/);

    const json = await runCli(["compare", base, slow, "--json"]);
    assert.equal(json.code, 0, json.stderr);
    const parsed = JSON.parse(json.stdout);
    assert.equal(parsed.verdict, "regression");
    assert.ok(parsed.regressions.includes("forum_view p50"));
    assert.equal(parsed.endpoints.length, 3);

    const missing = await runCli(["compare", base, join(dir, "nowhere")]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /^moodle-load: .*nowhere does not exist/);
    const badFlag = await runCli(["compare", base, same, "--fail-on", "p95 up a lot"]);
    assert.equal(badFlag.code, 2);
    assert.equal(badFlag.stderr.trim().split("\n").length, 1, badFlag.stderr);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
