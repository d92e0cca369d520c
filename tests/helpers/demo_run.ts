/** One real `moodle-load run` against the demo site through the CLI, for tests that need its files. */
import assert from "node:assert/strict";
import { runCli } from "./cli.ts";
import { withDemo } from "./demo.ts";
import { defaultDemoUsers, type DemoOptions } from "../../src/demo/mod.ts";
import { demoRunConfig } from "../../src/demo/config.ts";
import type { FullRunSummary } from "../../src/results/summary.ts";

export interface DemoRun {
  /** The --stats-dir (a run directory `report` reads). */
  statsDir: string;
  summaryFile: string;
  summary: FullRunSummary;
  stdout: string;
}

/**
 * `run --rpm RPM --duration SECONDS` (plus `more`) against a fresh demo site with 6 users, 3 % of its
 * pages a 503 and 5 % 200 ms slower (so the error and latency charts have something to draw).
 */
export async function demoRun(
  dir: string,
  rpm: number,
  durationSec: number,
  more: string[] = [],
  demoOptions: DemoOptions = {},
): Promise<DemoRun> {
  let run: DemoRun | undefined;
  const options: DemoOptions = {
    users: defaultDemoUsers(6),
    pageBytes: 5_000,
    latencyMs: 5,
    errorRate: 0.03,
    slowRate: 0.05,
    slowMs: 200,
    ...demoOptions,
  };
  await withDemo(options, async (demo) => {
    const config = `${dir}/config.json`;
    await Deno.writeTextFile(
      config,
      JSON.stringify(demoRunConfig({ url: demo.url, users: defaultDemoUsers(6) })),
    );
    const statsDir = `${dir}/stats`;
    const args = ["run", "--config", config, "--rpm", String(rpm), "--duration", String(durationSec)];
    const result = await runCli([...args, "--stats-dir", statsDir, "--seed", "3", ...more]);
    assert.equal(result.code, 0, result.stderr);
    const name = [...Deno.readDirSync(statsDir)].find((e) => /^load_summary_.*\.json$/.test(e.name))!.name;
    const summaryFile = `${statsDir}/${name}`;
    run = {
      statsDir,
      summaryFile,
      summary: JSON.parse(await Deno.readTextFile(summaryFile)),
      stdout: result.stdout,
    };
  });
  return run!;
}
