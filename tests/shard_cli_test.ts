/**
 * Shards through the CLI: N `run --shard I/N --start-at T` child processes against one demo site on
 * 127.0.0.1, then `merge` — the merged run is the single run's schedule, request for request.
 */
import assert from "node:assert/strict";
import { cliCommand, runCli } from "./helpers/cli.ts";
import { withDemo } from "./helpers/demo.ts";
import { defaultDemoUsers } from "../src/demo/mod.ts";
import { demoRunConfig } from "../src/demo/config.ts";
import { decodeHistogram, encodeHistogram, newHistogram, recordUs } from "../src/engine/histogram.ts";
import { constantSchedule } from "../src/engine/schedule.ts";
import { TargetPicker } from "../src/engine/targets.ts";
import { compileEndpoints } from "../src/config/endpoints.ts";
import type { RequestLogEntry } from "../src/engine/engine.ts";
import type { FullRunSummary } from "../src/results/summary.ts";

const USERS = 6;
const RPM = 1200;
const DURATION_SEC = 3;
const SEED = 11;

async function summaryIn(dir: string): Promise<FullRunSummary> {
  for (const entry of Deno.readDirSync(dir)) {
    if (/^load_summary_.*\.json$/.test(entry.name)) {
      return JSON.parse(await Deno.readTextFile(`${dir}/${entry.name}`));
    }
  }
  throw new Error(`no summary in ${dir}`);
}

function readLog(path: string): RequestLogEntry[] {
  return Deno.readTextFileSync(path).trim().split("\n").filter(Boolean).map((line) => JSON.parse(line));
}

function shardArgs(config: string, dir: string, shard: string, startAt: number): string[] {
  return [
    "run",
    "--config",
    config,
    "--rpm",
    String(RPM),
    "--duration",
    String(DURATION_SEC),
    "--seed",
    String(SEED),
    "--progress",
    "1",
    "--quiet",
    "--shard",
    shard,
    "--start-at",
    String(startAt),
    "--stats-dir",
    `${dir}/shard${shard.split("/")[0]}`,
    "--request-log",
    `${dir}/requests${shard.split("/")[0]}.jsonl`,
  ];
}

Deno.test("3 shards as processes → merge: the single run's requests, disjoint users, the request logs' histogram", async () => {
  const users = defaultDemoUsers(USERS);
  await withDemo({ users, pageBytes: 4000, latencyMs: 3 }, async (demo) => {
    const dir = await Deno.makeTempDir({ prefix: "moodle_load_shards_" });
    const configObject = demoRunConfig({ url: demo.url, users });
    const config = `${dir}/config.json`;
    await Deno.writeTextFile(config, JSON.stringify(configObject));
    const startAt = Date.now() + 5000;
    const results = await Promise.all(
      [0, 1, 2].map((i) => cliCommand(shardArgs(config, dir, `${i}/3`, startAt)).output()),
    );
    results.forEach((r, i) => assert.equal(r.code, 0, `shard ${i}: ${new TextDecoder().decode(r.stderr)}`));
    const merged = await runCli([
      "merge",
      `${dir}/shard0`,
      `${dir}/shard1`,
      `${dir}/shard2`,
      "--out",
      `${dir}/merged`,
    ]);
    assert.equal(merged.code, 0, merged.stderr);
    const summary = await summaryIn(`${dir}/merged`);

    // The single run's schedule: every intended request exactly once, at its intended time and URL.
    const single = constantSchedule(RPM, DURATION_SEC);
    assert.equal(summary.total + summary.not_sent, single.totalCount);
    assert.equal(summary.total, single.totalCount, "an unloaded machine sends every request");
    const logs = [0, 1, 2].map((i) => readLog(`${dir}/requests${i}.jsonl`));
    const all = logs.flat().sort((a, b) => a.i - b.i);
    assert.deepEqual(all.map((e) => e.i), Array.from({ length: single.totalCount }, (_, i) => i));
    logs.forEach((log, shard) => log.forEach((e) => assert.equal(e.i % 3, shard)));
    const endpoints = compileEndpoints(demo.url, configObject.urls!, configObject.parameters!);
    const picker = new TargetPicker(endpoints, USERS, SEED);
    for (const entry of all) {
      picker.next();
      assert.equal(entry.url, picker.url, `request ${entry.i}`);
      assert.ok(
        Math.abs(entry.intended_ms - single.timeOf(entry.i) * 1000) < 1e-6,
        `t of request ${entry.i}`,
      );
    }

    // Each user logged in by exactly one shard, and used only by it.
    assert.equal(demo.counters.logins, USERS);
    const usersOf = logs.map((log) => new Set(log.map((e) => e.user)));
    for (let a = 0; a < 3; a++) {
      for (let b = a + 1; b < 3; b++) assert.ok(![...usersOf[a]].some((u) => usersOf[b].has(u)));
    }
    assert.equal(summary.login.logged_in, USERS);
    assert.deepEqual(summary.shard, { index: 0, count: 1 });
    assert.deepEqual(summary.merged_from?.shards, [0, 1, 2]);

    // The merged histogram is the one rebuilt from the three request logs.
    const rebuilt = newHistogram();
    for (const e of all) if (!e.warmup) recordUs(rebuilt, e.latency_ms * 1000);
    assert.equal(summary.histograms.latency, encodeHistogram(rebuilt));
    assert.equal(decodeHistogram(summary.histograms.latency).totalCount, single.totalCount);
    const perShard = await Promise.all([0, 1, 2].map((i) => summaryIn(`${dir}/shard${i}`)));
    assert.equal(new Set(perShard.map((s) => s.schedule_hash)).size, 1);
    assert.equal(summary.bytes, perShard.reduce((sum, s) => sum + s.bytes, 0));
    // Intervals aligned on the shared start: one merged row per second, each of all three shards.
    const rows = summary.intervals as (typeof summary.intervals[number] & { drain?: boolean })[];
    assert.equal(rows.filter((r) => !r.drain).length, DURATION_SEC);
    assert.equal(rows.reduce((sum, r) => sum + r.total, 0), summary.total);

    // report and compare take the merged run like any other.
    const report = await runCli(["report", `${dir}/merged`, "--quiet"]);
    assert.equal(report.code, 0, report.stderr);
    const compare = await runCli(["compare", `${dir}/merged`, `${dir}/merged`]);
    assert.equal(compare.code, 0, compare.stderr);
    await Deno.remove(dir, { recursive: true });
  });
});

Deno.test("a shard killed halfway (SIGKILL, no summary) → merge says incomplete, exit 1; --allow-partial marks it", async () => {
  const users = defaultDemoUsers(USERS);
  await withDemo({ users, pageBytes: 2000, latencyMs: 2 }, async (demo) => {
    const dir = await Deno.makeTempDir({ prefix: "moodle_load_shards_" });
    const config = `${dir}/config.json`;
    await Deno.writeTextFile(config, JSON.stringify(demoRunConfig({ url: demo.url, users })));
    const startAt = Date.now() + 4000;
    const children = [0, 1, 2].map((i) => cliCommand(shardArgs(config, dir, `${i}/3`, startAt)).spawn());
    const killAt = startAt + DURATION_SEC * 500 - Date.now();
    await new Promise((resolve) => setTimeout(resolve, killAt));
    children[1].kill("SIGKILL");
    const statuses = await Promise.all(children.map((c) => c.output()));
    assert.equal(statuses[0].code, 0);
    assert.notEqual(statuses[1].code, 0);
    const merged = await runCli(["merge", `${dir}/shard0`, `${dir}/shard2`, "--out", `${dir}/merged`]);
    assert.equal(merged.code, 1);
    assert.match(merged.stderr, /^moodle-load: incomplete: shards 1\/3 missing — /);
    assert.equal(merged.stderr.trim().split("\n").length, 1);
    const partial = await runCli(
      ["merge", `${dir}/shard0`, `${dir}/shard2`, "--out", `${dir}/merged`, "--allow-partial", "--quiet"],
    );
    assert.equal(partial.code, 0, partial.stderr);
    const summary = await summaryIn(`${dir}/merged`);
    assert.equal(summary.partial, true);
    assert.deepEqual(summary.merged_from?.shards, [0, 2]);
    await Deno.remove(dir, { recursive: true });
  });
});

Deno.test("merge refuses shards of different runs; run refuses a past --start-at and an unknowable --shard auto", async () => {
  const users = defaultDemoUsers(3);
  await withDemo({ users, pageBytes: 1000, latencyMs: 1 }, async (demo) => {
    const dir = await Deno.makeTempDir({ prefix: "moodle_load_shards_" });
    const config = `${dir}/config.json`;
    await Deno.writeTextFile(config, JSON.stringify(demoRunConfig({ url: demo.url, users })));
    const base = ["run", "--config", config, "--rpm", "600", "--duration", "1", "--quiet"];
    const a = await runCli([...base, "--seed", "1", "--shard", "0/2", "--stats-dir", `${dir}/a`]);
    const b = await runCli([...base, "--seed", "2", "--shard", "1/2", "--stats-dir", `${dir}/b`]);
    assert.equal(a.code, 0, a.stderr);
    assert.equal(b.code, 0, b.stderr);
    const merged = await runCli(["merge", `${dir}/a`, `${dir}/b`, "--out", `${dir}/m`]);
    assert.equal(merged.code, 2);
    assert.match(
      merged.stderr,
      /^moodle-load: .* is a shard of another run \(seed 2.*— merge the shards of one run only\n$/,
    );

    const past = await runCli([...base, "--shard", "0/2", "--start-at", String(Date.now() - 1000)]);
    assert.equal(past.code, 2);
    assert.match(past.stderr, /^moodle-load: --start-at .* has passed/);
    assert.equal(demo.counters.logins, 3, "refused before logging in");

    const auto = await runCli([...base, "--shard", "auto"]);
    assert.equal(auto.code, 2);
    assert.match(auto.stderr, /^moodle-load: --shard auto: cannot tell this shard's index/);
    const gitlab = await runCli([...base, "--shard", "auto", "--stats-dir", `${dir}/g`], {
      env: { CI_NODE_INDEX: "2", CI_NODE_TOTAL: "2" },
    });
    assert.equal(gitlab.code, 0, gitlab.stderr);
    assert.deepEqual((await summaryIn(`${dir}/g`)).shard, { index: 1, count: 2 });
    const k8s = await runCli([...base, "--shard", "auto"], { env: { JOB_COMPLETION_INDEX: "1" } });
    assert.equal(k8s.code, 2);
    assert.match(k8s.stderr, /no shard count — pass --shard-count N or set MOODLE_LOAD_SHARDS/);
    await Deno.remove(dir, { recursive: true });
  });
});
