import assert from "node:assert/strict";
import { XMLParser, XMLValidator } from "fast-xml-parser";
import { escapeXml, junitXml } from "../src/output/junit.ts";

const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: "" });

Deno.test("JUnit XML: one testcase per criterion, the crossed one a failure with the measured value", () => {
  const xml = junitXml({
    name: "moodle-load run thresholds",
    classname: "runs/main",
    timeSec: 61.5,
    timestamp: new Date("2026-12-03T10:00:00.123Z"),
    cases: [
      { name: "p95<800ms", passed: false, detail: "the run: p95 = 912.3 ms, limit < 800 ms" },
      { name: "error_rate<1%", passed: true, detail: "the run: error_rate = 0.1 %, limit < 1 %" },
      { name: "p99>+10%", passed: false, skipped: true, detail: "cannot judge p99: 5 and 5 requests" },
    ],
  });
  assert.equal(XMLValidator.validate(xml), true);
  const doc = parser.parse(xml);
  const suites = doc.testsuites;
  assert.equal(suites.tests, "3");
  assert.equal(suites.failures, "1");
  assert.equal(suites.skipped, undefined, "skipped is counted on <testsuite>, not on <testsuites>");
  const suite = suites.testsuite;
  assert.equal(suite.name, "moodle-load run thresholds");
  assert.equal(suite.skipped, "1");
  assert.equal(suite.timestamp, "2026-12-03T10:00:00");
  assert.equal(suite.testcase.length, 3);
  const [crossed, passed, skipped] = suite.testcase;
  assert.equal(crossed.name, "p95<800ms");
  assert.equal(crossed.classname, "runs/main");
  assert.match(crossed.failure.message, /912\.3 ms/);
  assert.equal(passed.failure, undefined);
  assert.equal(passed.skipped, undefined);
  assert.match(skipped.skipped.message, /cannot judge/);
});

Deno.test("JUnit XML: names with markup and control characters stay well-formed", () => {
  const name = `course_view:p95>+10% <"a"\u0001& 'b'>`;
  const xml = junitXml({
    name: "x",
    classname: "y",
    timeSec: 0,
    timestamp: new Date(0),
    cases: [{ name, passed: false, detail: name }],
  });
  assert.equal(XMLValidator.validate(xml), true);
  assert.equal(parser.parse(xml).testsuites.testsuite.testcase.name, name.replace("\u0001", " "));
  assert.equal(escapeXml("<&>"), "&lt;&amp;&gt;");
});

Deno.test("--fail-on as JUnit cases: crossed → failure with every hit, cannot judge → skipped, else passed", async () => {
  const { failOnCases } = await import("../src/compare/junit.ts");
  const cases = failOnCases(
    ["*:p95>+10%", "p99>+10%", "regression"],
    [
      { criterion: "*:p95>+10%", endpoint: "forum", metric: "p95", detail: "forum p95 +40.0%" },
      { criterion: "*:p95>+10%", endpoint: "page", metric: "p95", detail: "page p95 +12.0%" },
    ],
    [{ criterion: "p99>+10%", endpoint: "(all)", metric: "p99", detail: "(all) p99 needs ≥ 450 requests" }],
  );
  assert.deepEqual(cases.map((c) => [c.name, c.passed, c.skipped ?? false]), [
    ["*:p95>+10%", false, false],
    ["p99>+10%", false, true],
    ["regression", true, false],
  ]);
  assert.equal(cases[0].detail, "forum p95 +40.0%; page p95 +12.0%");
  assert.match(cases[1].detail, /^cannot judge \(too few samples\): \(all\) p99 needs ≥ 450/);
});

Deno.test("JUnit XML: valid against the common JUnit schema shape, counts adding up, the failing threshold listed", async () => {
  const { junitProblems } = await import("./helpers/junit_schema.ts");
  const xml = junitXml({
    name: "moodle-load run thresholds",
    classname: "runs/main",
    timeSec: 61.5,
    timestamp: new Date("2026-12-03T10:00:00.123Z"),
    cases: [
      { name: "p95<800ms", passed: false, detail: "the run: p95 = 912.3 ms, limit < 800 ms" },
      { name: "error_rate<1%", passed: true, detail: "the run: error_rate = 0.1 %, limit < 1 %" },
      { name: "p99>+10%", passed: false, skipped: true, detail: "cannot judge p99" },
    ],
  });
  assert.deepEqual(await junitProblems(xml), []);
  assert.match(xml, /<testcase name="p95&lt;800ms"[^>]*>\s*<failure message="the run: p95 = 912\.3 ms/);
  // The checker is not a rubber stamp: what the strict readers refuse, it refuses.
  assert.notDeepEqual(
    await junitProblems(
      xml.replace('<testsuites name="moodle-load"', '<testsuites skipped="1" name="moodle-load"'),
    ),
    [],
  );
  assert.notDeepEqual(await junitProblems(xml.replace(/ tests="3"/, ' tests="2"')), []);
  assert.notDeepEqual(await junitProblems(xml.replace('<testcase name="p95&lt;800ms"', "<testcase")), []);
  assert.deepEqual(
    await junitProblems(
      junitXml({ name: "x", classname: "y", timeSec: 0, timestamp: new Date(0), cases: [] }),
    ),
    [],
  );
});
