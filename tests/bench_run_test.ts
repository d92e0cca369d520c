/** bench and bisect over fake work (a fixture summary as "load", CSV writers as "capture"). */
import assert from "node:assert/strict";
import { join } from "node:path";
import { type BenchDeps, BenchStepError, runBench } from "../src/commands/bench.ts";
import { runBisect } from "../src/commands/bisect.ts";
import { csvDocument } from "../src/output/csv.ts";
import { UserError } from "../src/errors.ts";
import type { RunSummary } from "../src/results/summary_types.ts";
import { makeRunSummary, moodleMix } from "./helpers/run_fixture.ts";
import { CSV_HEADER as DOCKER_HEADER } from "../src/docker/stats_output.ts";
import { writeConfig } from "./helpers/config.ts";

async function withTemp(fn: (dir: string) => Promise<void>) {
  const dir = await Deno.makeTempDir({ prefix: "bench_run_" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** site.json in `dir`: one user, three endpoints, plus `extra` keys. */
function writeSiteConfig(dir: string, extra: Record<string, unknown> = {}): Promise<string> {
  return writeConfig(dir, {
    base_url: "http://127.0.0.1:9",
    users: [{ username: "student01", password: "Secret-pass-1" }],
    parameters: { course: { min: 1, max: 5 }, forum: { min: 1, max: 5 } },
    urls: [
      { path: "/course/view.php?id={course}", name: "course_view" },
      { path: "/mod/forum/view.php?id={forum}", name: "forum_view" },
      { path: "/my/", name: "dashboard" },
    ],
    ...extra,
  }, "site.json");
}

function fakeDeps(summary: () => RunSummary, events: string[] = []): BenchDeps {
  return {
    load: async (runDir) => {
      events.push("load");
      const s = summary();
      await Deno.writeTextFile(join(runDir, "load_summary_20261121T050000Z.json"), JSON.stringify(s));
      return s;
    },
    restore: (dump, mode) => {
      events.push(`restore ${dump} ${mode}`);
      return Promise.resolve();
    },
    docker: async (containers, runDir, tag, signal) => {
      events.push(`docker ${containers.join(",")}`);
      const start = Date.now();
      await new Promise((resolve) => signal.addEventListener("abort", resolve));
      const rows = [start, start + 1000].map((
        ms,
      ) => [ms, new Date(ms).toISOString(), 50, 1e8, 4e9, 2.5, 0, 0, 0, 0, 9]);
      await Deno.writeTextFile(
        join(runDir, `${containers[0]}_20261121T050000Z_${tag}.csv`),
        csvDocument(DOCKER_HEADER, rows),
      );
    },
    pg: async (runDir, _tag, signal) => {
      events.push("pg");
      await new Promise((resolve) => signal.addEventListener("abort", resolve));
      await Deno.writeTextFile(
        join(runDir, "pg_moodle_20261121T050000Z.csv"),
        "epoch_ms,iso_time,conns_active\n1,x,3\n",
      );
    },
    argv: ["bench", "--config", "site.json", "--db-url", "postgres://moodle:pw@db/moodle"],
    version: "0.1.0",
    now: () => new Date("2026-11-21T05:00:00Z"),
    hostname: () => "test-host",
    log: () => {},
    captureStartMs: 30,
  };
}

const fast = () => makeRunSummary({ endpoints: moodleMix(), targetRpm: 1800, durationSec: 60, seed: 5 });

Deno.test("bench writes one run directory: load files, capture CSVs, manifest without secrets, report", async () => {
  await withTemp(async (dir) => {
    const config = await writeSiteConfig(dir);
    const events: string[] = [];
    const result = await runBench(
      {
        config,
        out: join(dir, "runs"),
        tag: "main",
        restore: "moodle.dump",
        mode: "drop",
        containers: ["web"],
        pgStats: true,
      },
      fakeDeps(fast, events),
    );
    assert.equal(result.exitCode, 0);
    assert.equal(result.runDir, join(dir, "runs", "20261121T050000Z_main"));
    assert.deepEqual(events.slice(0, 1), ["restore moodle.dump drop"]);
    assert.ok(
      events.indexOf("load") > events.indexOf("docker web") && events.indexOf("load") > events.indexOf("pg"),
    );
    const files = [...Deno.readDirSync(result.runDir)].map((e) => e.name).sort();
    assert.deepEqual(files, [
      "load_summary_20261121T050000Z.json",
      "manifest.json",
      "pg_moodle_20261121T050000Z.csv",
      "report.html",
      "web_20261121T050000Z_main.csv",
    ]);
    const manifestText = await Deno.readTextFile(join(result.runDir, "manifest.json"));
    assert.ok(!manifestText.includes("Secret-pass-1") && !manifestText.includes(":pw@"), manifestText);
    const manifest = JSON.parse(manifestText);
    assert.equal(manifest.tag, "main");
    assert.equal(manifest.host, "test-host");
    assert.match(manifest.config_hash, /^sha256:[0-9a-f]{64}$/);
    assert.equal(manifest.seed, 5);
    assert.deepEqual(manifest.restore, { dump: "moodle.dump", mode: "drop" });
    assert.deepEqual(manifest.command, [
      "moodle-load",
      "bench",
      "--config",
      "site.json",
      "--db-url",
      "postgres://moodle:***@db/moodle",
    ]);
    assert.deepEqual(manifest.steps.map((s: { name: string; status: string }) => `${s.name}:${s.status}`), [
      "restore:ok",
      "capture start:ok",
      "load:ok",
      "capture stop:ok",
      "manifest:ok",
      "report:ok",
    ]);
    const html = await Deno.readTextFile(join(result.runDir, "report.html"));
    assert.ok(
      html.includes('id="chart-cpu"') && html.includes('id="chart-pg"'),
      "capture charts in the report",
    );
    // a second bench in the same second gets its own directory
    const again = await runBench({ config, out: join(dir, "runs"), tag: "main" }, fakeDeps(fast));
    assert.equal(again.runDir, join(dir, "runs", "20261121T050000Z_main-2"));
  });
});

Deno.test("bench: thresholds from the config and flags are judged; crossed → exit code 99", async () => {
  await withTemp(async (dir) => {
    const config = await writeSiteConfig(dir, { thresholds: ["error_rate<1%"] });
    const printed: string[] = [];
    const deps = { ...fakeDeps(fast), log: (line: string) => printed.push(line) };
    const ok = await runBench({ config, out: dir, threshold: ["p95<60s"] }, deps);
    assert.equal(ok.exitCode, 0);
    const crossed = await runBench({ config, out: dir, threshold: ["course_view:p50<1ms"] }, deps);
    assert.equal(crossed.exitCode, 99);
    assert.ok(printed.some((l) => /course_view:p50<1ms: CROSSED/.test(l)), printed.join("\n"));
    await assert.rejects(
      runBench({ config, out: dir, threshold: ["cours_view:p50<1s"] }, deps),
      /names an endpoint the config does not have/,
    );
  });
});

Deno.test("bench: a failed step stops the rest, keeps what was measured, names the step", async () => {
  await withTemp(async (dir) => {
    const config = await writeSiteConfig(dir);
    const deps = fakeDeps(fast);
    deps.restore = () => Promise.reject(new Error("pg_restore: could not open input file"));
    const error = await runBench({ config, out: dir, restore: "missing.dump" }, deps).catch((e) => e);
    assert.ok(error instanceof BenchStepError);
    assert.equal(error.step, "restore");
    assert.match(
      error.message,
      /^bench: step "restore" failed: pg_restore: could not open input file — later steps did not run/,
    );
    const manifest = JSON.parse(await Deno.readTextFile(join(error.runDir, "manifest.json")));
    assert.equal(manifest.failed_step, "restore");
    assert.equal(manifest.steps.find((s: { name: string }) => s.name === "load").status, "skipped");
  });
});

Deno.test("bisect over fake work: good, bad (2× slower than the baseline), skip (prepare fails), abort (no baseline)", async () => {
  await withTemp(async (dir) => {
    const config = await writeSiteConfig(dir);
    const baseline = await runBench({ config, out: join(dir, "runs"), tag: "good" }, fakeDeps(fast));
    const slow = () =>
      makeRunSummary({
        endpoints: moodleMix({ course_view: { medianMs: 360 } }),
        targetRpm: 1800,
        durationSec: 60,
        seed: 6,
      });
    const same = () => makeRunSummary({ endpoints: moodleMix(), targetRpm: 1800, durationSec: 60, seed: 7 });
    const options = {
      config,
      out: join(dir, "runs", "bisect"),
      baseline: baseline.runDir,
      prepareTimeout: 30,
      waitForSite: 0,
      maxRegression: "10%",
      metric: "p95",
    };
    const good = await runBisect(options, { ...fakeDeps(same), commit: () => Promise.resolve("aaa111") });
    assert.equal(good.exitCode, 0, good.reason);
    assert.match(good.runDir!, /_aaa111$/);
    const bad = await runBisect(options, { ...fakeDeps(slow), commit: () => Promise.resolve("bbb222") });
    assert.equal(bad.exitCode, 1, bad.reason);
    assert.match(bad.reason, /course_view p95 changed \+\d+/);
    const skip = await runBisect({ ...options, prepare: "exit 3" }, {
      ...fakeDeps(same),
      commit: () => Promise.resolve("ccc333"),
    });
    assert.equal(skip.exitCode, 125);
    assert.match(skip.reason, /prepare command failed \(exit 3\)/);
    const noLogin = fakeDeps(same);
    noLogin.load = () =>
      Promise.reject(new UserError("no user could log in (1 tried: wrong_credentials 1)", 3));
    const loginSkip = await runBisect(options, { ...noLogin, commit: () => Promise.resolve("ddd444") });
    assert.equal(loginSkip.exitCode, 125, loginSkip.reason);
    assert.match(loginSkip.reason, /login failed/);
    const abort = await runBisect({ ...options, baseline: join(dir, "nowhere") }, fakeDeps(same));
    assert.equal(abort.exitCode, 255);
    const absolute = await runBisect(
      { ...options, baseline: undefined, threshold: ["p95<100ms"] },
      { ...fakeDeps(same), commit: () => Promise.resolve("eee555") },
    );
    assert.equal(absolute.exitCode, 1, absolute.reason);
    assert.match(absolute.reason, /p95<100ms: CROSSED/);
  });
});

Deno.test("bisect helpers: the prepare command's exit and time limit; waiting for the site", async () => {
  const { runPrepare, waitForSite } = await import("../src/commands/bisect.ts");
  assert.equal(await runPrepare("true", 5), undefined);
  assert.equal(await runPrepare("exit 4", 5), "exit 4");
  assert.equal(await runPrepare("sleep 5", 0.3), "timed out after 0.3 s");
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, () => new Response("ok"));
  try {
    const { port } = server.addr as Deno.NetAddr;
    assert.equal(await waitForSite(`http://127.0.0.1:${port}/`, 2), true);
  } finally {
    await server.shutdown();
  }
  const started = Date.now();
  assert.equal(await waitForSite("http://127.0.0.1:9/", 1), false);
  assert.ok(Date.now() - started < 10_000);
});
