import assert from "node:assert/strict";
import { parseThreshold, parseThresholds, ThresholdSyntaxError } from "../src/thresholds/parse.ts";
import { evaluateThresholds, THRESHOLD_EXIT, thresholdReport } from "../src/thresholds/evaluate.ts";
import {
  checkThresholdEndpoints,
  judgeThresholds,
  resolveThresholds,
  thresholdOption,
} from "../src/thresholds/option.ts";
import { UserError } from "../src/errors.ts";
import { Command } from "@commander-js/extra-typings";
import { makeRunSummary, moodleMix } from "./helpers/run_fixture.ts";

Deno.test("threshold expressions parse into metric, comparator, value and unit", () => {
  assert.deepEqual(parseThreshold("p95<800ms"), {
    source: "p95<800ms",
    endpoint: undefined,
    metric: "p95",
    comparator: "<",
    value: 800,
    unit: "ms",
  });
  assert.equal(parseThreshold("p99<2s").value, 2000);
  assert.equal(parseThreshold("p99 <= 1.5s").comparator, "<=");
  assert.equal(parseThreshold("p50<250").value, 250);
  assert.deepEqual(
    { ...parseThreshold("error_rate<1%") },
    {
      source: "error_rate<1%",
      endpoint: undefined,
      metric: "error_rate",
      comparator: "<",
      value: 0.01,
      unit: "fraction",
    },
  );
  assert.equal(parseThreshold("error_rate<0.02").value, 0.02);
  const rpm = parseThreshold("rpm_observed>95%");
  assert.equal(rpm.unit, "of_target");
  assert.equal(rpm.value, 0.95);
  assert.equal(parseThreshold("rpm_observed>=500").unit, "rpm");
  const endpoint = parseThreshold("course_view:p99<2s");
  assert.equal(endpoint.endpoint, "course_view");
  assert.equal(endpoint.value, 2000);
  assert.equal(
    parseThreshold("/course/view.php?id={course}:p95<1s").endpoint,
    "/course/view.php?id={course}",
  );
  assert.equal(parseThreshold("not_sent<=0").unit, "count");
  assert.equal(parseThreshold("late<1%").unit, "of_intended");
  assert.equal(parseThreshold("service_p95<300ms").metric, "service_p95");
});

Deno.test("bad threshold expressions say what is wrong", () => {
  const cases: [string, RegExp][] = [
    ["p95", /expected \[endpoint:\]metric<value/],
    ["p97<1s", /unknown metric "p97"/],
    ["p95<800kg", /unknown unit "kg"/],
    ["error_rate<5", /did you mean 5%/],
    ["course_view:rpm_observed>95%", /no target/],
    ["course_view:not_sent<1", /whole run/],
  ];
  for (const [expression, message] of cases) {
    assert.throws(
      () => parseThreshold(expression),
      (e: Error) => e instanceof ThresholdSyntaxError && message.test(e.message),
    );
  }
  assert.throws(() => parseThresholds(["p95<1s", "x", "p97<1"]), /"x".*"p97<1"/s);
});

const summary = makeRunSummary({
  endpoints: moodleMix({ course_view: { medianMs: 900, sigma: 0.3 }, forum_view: { errorRate: 0.05 } }),
  targetRpm: 1200,
  durationSec: 60,
  seed: 7,
  achieved: 0.9,
});

Deno.test("thresholds are judged on the summary; every crossed one is listed; exit 99", () => {
  const thresholds = parseThresholds([
    "p50<10s", // passes
    `p95<${Math.floor(summary.latency_ms_p95 / 2)}ms`, // crossed
    "course_view:p99<2s", // passes: 900 ms median, σ 0.3 → p99 ≈ 1.8 s
    "course_view:p50<500ms", // crossed
    "forum_view:error_rate<1%", // crossed (5%)
    "dashboard:error_rate<1%", // passes
    "rpm_observed>95%", // crossed (90% achieved)
    "rpm_observed>80%", // passes
  ]);
  const verdict = evaluateThresholds(thresholds, summary);
  assert.equal(verdict.exitCode, THRESHOLD_EXIT);
  assert.deepEqual(
    verdict.crossed.map((r) => r.threshold.source),
    [
      `p95<${Math.floor(summary.latency_ms_p95 / 2)}ms`,
      "course_view:p50<500ms",
      "forum_view:error_rate<1%",
      "rpm_observed>95%",
    ],
  );
  const forum = summary.endpoints.find((e) => e.name === "forum_view")!;
  const errors = verdict.results.find((r) => r.threshold.source === "forum_view:error_rate<1%")!;
  assert.equal(errors.actual, forum.failures / forum.total);
  const rpm = verdict.results.find((r) => r.threshold.source === "rpm_observed>95%")!;
  assert.ok(Math.abs(rpm.actual! - 0.9) < 0.01, String(rpm.actual));
  const text = thresholdReport(verdict);
  assert.match(text, /4 of 8 thresholds crossed \(exit code 99\)/);
  assert.match(text, /✗ forum_view:error_rate<1%: CROSSED \(measured \d\.\d+%, limit < 1%\)/);
});

Deno.test("all thresholds met → exit 0; unknown endpoint counts as crossed with the list of endpoints", () => {
  assert.equal(evaluateThresholds(parseThresholds(["p99<60s", "error_rate<50%"]), summary).exitCode, 0);
  const verdict = evaluateThresholds(parseThresholds(["course_veiw:p95<1s"]), summary);
  assert.equal(verdict.exitCode, 99);
  assert.match(
    verdict.crossed[0].detail,
    /no endpoint named "course_veiw".*course_view, forum_view, dashboard/,
  );
  assert.equal(evaluateThresholds([], summary).exitCode, 0);
  assert.equal(thresholdReport(evaluateThresholds([], summary)), "");
});

Deno.test("flags and config thresholds merge; bad ones are a UserError; endpoints checked up front", () => {
  const printed: string[] = [];
  const verdict = judgeThresholds(
    summary,
    { config: ["p99<60s"], flags: ["p99<60s", "p50<1ms"] },
    (t) => printed.push(t),
  );
  assert.equal(verdict.results.length, 2);
  assert.equal(verdict.exitCode, 99);
  assert.match(printed.join("\n"), /p50<1ms: CROSSED/);
  assert.throws(
    () => resolveThresholds({ flags: ["p95<<1"] }),
    (e: Error) => e instanceof UserError && e.exitCode === 2,
  );
  assert.throws(
    () => checkThresholdEndpoints(parseThresholds(["forum:p95<1s"]), ["course_view", "forum_view"]),
    /names an endpoint the config does not have \(endpoints: course_view, forum_view\)/,
  );
  checkThresholdEndpoints(parseThresholds(["forum_view:p95<1s", "p99<2s"]), ["course_view", "forum_view"]);
});

Deno.test("--threshold is repeatable and checked at parse time", () => {
  const make = () =>
    new Command("x").exitOverride().configureOutput({ writeErr: () => {} }).addOption(thresholdOption());
  const command = make();
  command.parse(["--threshold", "p95<800ms", "--threshold", "error_rate<1%"], { from: "user" });
  assert.deepEqual(command.opts().threshold, ["p95<800ms", "error_rate<1%"]);
  assert.throws(
    () => make().parse(["--threshold", "p95<"], { from: "user" }),
    /expected \[endpoint:\]metric/,
  );
});

Deno.test("report --threshold judges the run as its help says: verdict, exit 99 when crossed, 0 when met", async () => {
  const { writeRunDir } = await import("./helpers/run_dir_fixture.ts");
  const { runCli } = await import("./helpers/cli.ts");
  const dir = await Deno.makeTempDir({ prefix: "moodle-load-report-thr-" });
  try {
    await writeRunDir(dir, { containers: [] });
    const out = `${dir}/r.html`;
    const crossed = await runCli(["report", dir, "--out", out, "--threshold", "p95<1ms", "--quiet"]);
    assert.equal(crossed.code, THRESHOLD_EXIT, crossed.stderr);
    assert.match(crossed.stderr, /thresholds crossed: p95<1ms/);
    await Deno.stat(out); // the report is written either way
    const met = await runCli(["report", dir, "--out", out, "--threshold", "p95<3600s", "--quiet"]);
    assert.equal(met.code, 0, met.stderr);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("journey and step thresholds: parsed, judged on the summary's journeys and step rows, checked up front", () => {
  const journey = parseThreshold("journey:forum-post:p95<10s");
  assert.equal(journey.journey, "forum-post");
  assert.equal(journey.endpoint, undefined);
  assert.equal(journey.value, 10_000);
  assert.equal(parseThreshold("journey:forum-post:error_rate<1%").value, 0.01);
  const step = parseThreshold("step:forum-post/reply:error_rate<1%");
  assert.equal(step.endpoint, "forum-post/reply");
  assert.equal(step.step, true);
  assert.equal(step.source, "step:forum-post/reply:error_rate<1%");
  assert.throws(
    () => parseThreshold("journey:forum-post:service_p95<1s"),
    /a journey threshold takes p50, p95/,
  );
  assert.throws(() => parseThreshold("journey:forum-post:rpm_observed>1"), ThresholdSyntaxError);

  const withJourneys = {
    ...summary,
    endpoints: [
      { ...summary.endpoints[0], name: "forum-post/discussion", total: 10, failures: 0 },
      { ...summary.endpoints[1], name: "forum-post/reply", total: 10, failures: 2 },
    ],
    journeys: [{
      name: "forum-post",
      started: 10,
      completed: 8,
      failed: 2,
      failed_by: { "forum-post/reply": { check_failed: 2 } },
      duration_ms: { p50: 3000, p95: 4200, p99: 4500, max: 4600 },
      think_ms: { p50: 2000, p95: 3000, max: 3100 },
      histogram: "",
      think_histogram: "",
    }],
  };
  const verdict = evaluateThresholds(
    parseThresholds([
      "journey:forum-post:p95<10s", // met: 4.2 s
      "journey:forum-post:p95<4s", // crossed
      "journey:forum-post:error_rate<1%", // crossed: 2 of 10
      "step:forum-post/reply:error_rate<1%", // crossed: 2 of 10
      "step:discussion:error_rate<1%", // met: the one step named discussion
      "journey:quiz:p95<1s", // crossed: no such journey
    ]),
    withJourneys,
  );
  assert.deepEqual(verdict.crossed.map((r) => r.threshold.source), [
    "journey:forum-post:p95<4s",
    "journey:forum-post:error_rate<1%",
    "step:forum-post/reply:error_rate<1%",
    "journey:quiz:p95<1s",
  ]);
  assert.equal(verdict.results[0].actual, 4200);
  assert.equal(verdict.results[2].actual, 0.2);
  assert.equal(verdict.results[3].actual, 0.2);
  assert.match(verdict.crossed[3].detail, /no journey named "quiz" was run \(journeys: forum-post\)/);

  const steps = ["forum-post/discussion", "forum-post/reply"];
  checkThresholdEndpoints(parseThresholds(["journey:forum-post:p95<1s", "step:reply:p95<1s"]), steps, [
    "forum-post",
  ]);
  assert.throws(
    () => checkThresholdEndpoints(parseThresholds(["journey:forum_post:p95<1s"]), steps, ["forum-post"]),
    /journey:forum_post:p95<1s.*journeys: forum-post/,
  );
  assert.throws(
    () => checkThresholdEndpoints(parseThresholds(["step:forum-post/rply:p95<1s"]), steps, ["forum-post"]),
    /endpoints: forum-post\/discussion, forum-post\/reply/,
  );
});
