import assert from "node:assert/strict";
import { BISECT_EXIT, decideBisect, siteDown } from "../src/bisect/decide.ts";
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
