/**
 * `--junit FILE` through the CLI: run, bench and compare write one testcase per threshold / --fail-on
 * criterion; a crossed one is a <failure> carrying its measured value, written before the exit 99.
 */
import assert from "node:assert/strict";
import { junitProblems } from "./helpers/junit_schema.ts";
import { join } from "node:path";
import { XMLParser, XMLValidator } from "fast-xml-parser";
import { runCli } from "./helpers/cli.ts";
import { withDemo } from "./helpers/demo.ts";
import { defaultDemoUsers } from "../src/demo/mod.ts";
import { demoRunConfig } from "../src/demo/config.ts";
import { makeRunSummary, moodleMix, type RunSpec } from "./helpers/run_fixture.ts";

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: "",
  isArray: (n) => n === "testcase",
});

interface Case {
  name: string;
  failure?: { message: string };
  skipped?: { message: string };
}

async function readJunit(file: string): Promise<{ suite: Record<string, string>; cases: Case[] }> {
  const xml = await Deno.readTextFile(file);
  assert.equal(XMLValidator.validate(xml), true, xml);
  assert.deepEqual(await junitProblems(xml), [], `${file} is the common JUnit shape:\n${xml}`);
  const suite = parser.parse(xml).testsuites.testsuite;
  return { suite, cases: suite.testcase ?? [] };
}

function summaryFileIn(dir: string): string {
  const name = [...Deno.readDirSync(dir)].find((e) => /^load_summary_.*\.json$/.test(e.name))!.name;
  return join(dir, name);
}

Deno.test("run and bench --junit: a crossed threshold is a failure with its measured value, the met one passes", async () => {
  const dir = await Deno.makeTempDir({ prefix: "junit_run_" });
  try {
    await withDemo({ users: defaultDemoUsers(4), pageBytes: 5_000, latencyMs: 20 }, async (demo) => {
      const config = join(dir, "site.json");
      await Deno.writeTextFile(
        config,
        JSON.stringify(demoRunConfig({ url: demo.url, users: defaultDemoUsers(4) })),
      );
      const load = ["--config", config, "--rpm", "600", "--duration", "3", "--seed", "4", "--quiet"];
      const thresholds = ["--threshold", "p95<1ms", "--threshold", "error_rate<50%"];
      const run = await runCli([
        "run",
        ...load,
        "--out",
        join(dir, "stats"),
        ...thresholds,
        "--junit",
        join(dir, "run.xml"),
      ]);
      assert.equal(run.code, 99, run.stderr);
      const summary = JSON.parse(await Deno.readTextFile(summaryFileIn(join(dir, "stats"))));
      const { suite, cases } = await readJunit(join(dir, "run.xml"));
      assert.equal(suite.name, "moodle-load run thresholds");
      assert.equal(suite.tests, "2");
      assert.equal(suite.failures, "1");
      assert.deepEqual(cases.map((c) => c.name), ["p95<1ms", "error_rate<50%"]);
      const measured = Number(/measured ([\d.]+) ms/.exec(cases[0].failure!.message)?.[1]);
      assert.ok(
        Math.abs(measured - summary.latency_ms_p95) < 0.1,
        `${cases[0].failure!.message} carries the run's p95 = ${summary.latency_ms_p95}`,
      );
      assert.equal(cases[1].failure, undefined);

      const bench = await runCli([
        "bench",
        ...load,
        "--out",
        join(dir, "runs"),
        "--tag",
        "junit",
        ...thresholds,
        "--junit",
        join(dir, "bench.xml"),
      ]);
      assert.equal(bench.code, 99, bench.stderr);
      const b = await readJunit(join(dir, "bench.xml"));
      assert.equal(b.suite.name, "moodle-load bench thresholds");
      assert.deepEqual(b.cases.map((c) => [c.name, c.failure !== undefined]), [["p95<1ms", true], [
        "error_rate<50%",
        false,
      ]]);
      assert.match(b.cases[0].failure!.message, /CROSSED \(measured [\d.]+ ms, limit < 1 ms\)/);

      const missing = await runCli(["run", ...load, "--junit", join(dir, "nope", "x.xml")]);
      assert.equal(missing.code, 2);
      assert.match(
        missing.stderr.trim(),
        /^moodle-load: --junit .*nope\/x\.xml: the folder .* does not exist — /,
      );
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

const spec = (seed: number, overrides: Parameters<typeof moodleMix>[0] = {}): RunSpec => ({
  endpoints: moodleMix(overrides),
  targetRpm: 1800,
  durationSec: 120,
  seed,
});

Deno.test("compare --junit: the crossed --fail-on criterion fails with the change, the others pass", async () => {
  const dir = await Deno.makeTempDir({ prefix: "junit_compare_" });
  try {
    const write = async (name: string, summary: unknown) => {
      await Deno.mkdir(join(dir, name));
      await Deno.writeTextFile(join(dir, name, "load_summary_20261121_050000.json"), JSON.stringify(summary));
      return join(dir, name);
    };
    const base = await write("base", makeRunSummary(spec(71)));
    const slow = await write("slow", makeRunSummary(spec(72, { forum_view: { medianMs: 240 } })));
    const file = join(dir, "compare.xml");
    const result = await runCli([
      "compare",
      base,
      slow,
      "--fail-on",
      "forum_view:p95>+10%",
      "--fail-on",
      "error_rate>+5pp",
      "--junit",
      file,
    ]);
    assert.equal(result.code, 99, result.stderr);
    const { suite, cases } = await readJunit(file);
    assert.equal(suite.name, "moodle-load compare");
    assert.deepEqual(cases.map((c) => c.name), ["forum_view:p95>+10%", "error_rate>+5pp"]);
    assert.match(cases[0].failure!.message, /forum_view p95/);
    assert.match(cases[0].failure!.message, /\+\d+(\.\d+)?%/);
    assert.equal(cases[1].failure, undefined);
    assert.equal(cases[1].skipped, undefined);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
