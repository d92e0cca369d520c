import assert from "node:assert/strict";
import { BISECT_EXIT, decideBisect, siteDown } from "../src/bisect/decide.ts";
import { join } from "node:path";
import { bisectCriteria } from "../src/commands/bisect.ts";
import { compareRuns } from "../src/commands/compare.ts";
import { makeRunSummary, moodleMix } from "./helpers/run_fixture.ts";

const healthy = makeRunSummary({ endpoints: moodleMix(), targetRpm: 600, durationSec: 30, seed: 1 });

Deno.test("bisect: good when nothing crossed, bad when a criterion crossed", () => {
  assert.equal(decideBisect({ summary: healthy, hits: [] }).exitCode, BISECT_EXIT.good);
  const bad = decideBisect({
    summary: healthy,
    hits: [{
      criterion: "*:p95>+10%",
      endpoint: "course_view",
      metric: "p95",
      detail: "course_view p95 changed +98%",
    }],
  });
  assert.equal(bad.exitCode, 1);
  assert.match(bad.reason, /course_view p95 changed \+98%/);
});

Deno.test("bisect: skip (125) when the commit cannot be judged; abort (255) on a setup error", () => {
  assert.equal(decideBisect({ prepareFailure: "exit 2" }).exitCode, 125);
  assert.equal(decideBisect({ failure: { step: "restore", message: "no dump" } }).exitCode, 125);
  assert.equal(
    decideBisect({ failure: { step: "load", message: "no user could log in", exitCode: 3 } }).exitCode,
    125,
  );
  const down = { ...healthy, success: 0, failures: healthy.total, errors: { connect: healthy.total } };
  assert.ok(siteDown(down));
  assert.equal(decideBisect({ summary: down }).exitCode, 125);
  assert.ok(!siteDown(healthy));
  // Pages that never answer (every request abandoned after the grace) are a down site too, as before
  // they were counted (then the run had no request at all).
  const hanging = { ...healthy, success: 0, failures: healthy.total, errors: { abandoned: healthy.total } };
  assert.ok(siteDown(hanging));
  const usage = decideBisect({ failure: { step: "load", message: "--rpm must be positive", exitCode: 2 } });
  assert.equal(usage.exitCode, 255);
});

Deno.test("bisect: a criterion compare cannot judge (too few requests, its exit 4) is a skip (125), not good", () => {
  const unjudged = [{
    criterion: "*:p99>+10%",
    endpoint: "(all)",
    metric: "p99",
    detail: "(all) p99 needs ≥ 450 requests in each run (base 5, candidate 5)",
  }];
  const decision = decideBisect({ summary: healthy, hits: [], unjudged });
  assert.equal(decision.exitCode, BISECT_EXIT.skip);
  assert.equal(decision.exitCode, 125);
  assert.match(decision.reason, /cannot judge \(too few samples\): \(all\) p99 needs ≥ 450 requests/);
  // a criterion that did fire still makes the commit bad
  const hit = {
    criterion: "*:p50>+10%",
    endpoint: "(all)",
    metric: "p50",
    detail: "(all) p50 changed +900%",
  };
  assert.equal(decideBisect({ summary: healthy, hits: [hit], unjudged }).exitCode, BISECT_EXIT.bad);
});

Deno.test("bisect: compare's cannot-judge outcome of two 5-request runs becomes skip (125)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "bisect_judge_" });
  try {
    const tiny = { endpoints: moodleMix(), targetRpm: 30, durationSec: 10 };
    const paths = await Promise.all([1, 2].map(async (seed) => {
      const path = join(dir, `load_summary_${seed}.json`);
      await Deno.writeTextFile(path, JSON.stringify(makeRunSummary({ ...tiny, seed })));
      return path;
    }));
    const outcome = await compareRuns(paths[0], paths[1], {
      failOn: bisectCriteria({ maxRegression: "10%", metric: "p99" }),
    });
    assert.equal(outcome.exitCode, 4);
    const decision = decideBisect({ summary: healthy, hits: outcome.hits, unjudged: outcome.unjudged });
    assert.equal(decision.exitCode, 125, decision.reason);
    assert.match(decision.reason, /\(all\) p99 needs ≥ \d+ requests in each run \(base 5, candidate 5\)/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
