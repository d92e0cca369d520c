/**
 * bench end to end: the demo server as the site, a real Postgres database restored from a dump
 * first, thresholds that pass, and thresholds that a deliberately slow endpoint crosses (exit 99).
 */
import assert from "node:assert/strict";
import pg from "pg";
import { join } from "node:path";
import { defaultDemoUsers, startDemoServer } from "../src/demo/mod.ts";
import { demoRunConfig } from "../src/demo/config.ts";
import { cliCommand, runCli } from "./helpers/cli.ts";
import { postgresAvailability, withThrowawayDatabase } from "./helpers/postgres.ts";
import { requireService } from "./helpers/services.ts";
import { BUSYBOX_IMAGE, dockerAvailability, startPrivateDocker } from "./helpers/docker.ts";

const LOAD = ["--rpm", "1800", "--duration", "6", "--progress", "60", "--seed", "3", "--quiet"];

Deno.test(
  "bench end to end: restore → load → run directory with manifest and report; thresholds exit 99 on a slow endpoint, 0 otherwise",
  requireService("PostgreSQL", await postgresAvailability()),
  async () => {
    const dir = await Deno.makeTempDir({ prefix: "bench_e2e_" });
    const users = defaultDemoUsers(5);
    // the forum view is deliberately slow
    const server = await startDemoServer({
      users,
      pageBytes: 20_000,
      latencyMs: 5,
      latencyByPath: { "/mod/forum/view.php": 250 },
    });
    try {
      await withThrowawayDatabase(async (db) => {
        await db.client.query("CREATE TABLE mdl_course (id bigint PRIMARY KEY, fullname text)");
        await db.client.query(
          "INSERT INTO mdl_course SELECT g, 'Course ' || g FROM generate_series(1, 50) g",
        );
        const dump = join(dir, "moodle.dump");
        const snapshot = await runCli(["db", "snapshot", "--db-url", db.url, "--out", dump]);
        assert.equal(snapshot.code, 0, snapshot.stderr);
        await db.client.query("DELETE FROM mdl_course WHERE id > 10"); // the run that follows dirties it
        // the restore ends every other session on the database, this one included
        db.client.on("error", () => {});
        await db.client.end();

        const config = join(dir, "site.json");
        await Deno.writeTextFile(config, JSON.stringify(demoRunConfig({ url: server.url, users })));
        const runs = join(dir, "runs");
        const ok = await runCli([
          "bench",
          "--config",
          config,
          ...LOAD,
          "--restore",
          dump,
          "--db-url",
          db.url,
          "--pg-stats",
          "--capture-interval",
          "0.5",
          "--tag",
          "main",
          "--out",
          runs,
          "--threshold",
          "dashboard:p95<200ms",
          "--threshold",
          "error_rate<1%",
        ]);
        assert.equal(ok.code, 0, ok.stderr);
        assert.match(ok.stderr, /all 2 thresholds met/);
        const check = new pg.Client({ host: db.host, port: db.port, user: db.user, database: db.name });
        await check.connect();
        const restored = await check.query("SELECT count(*)::int AS n FROM mdl_course");
        await check.end();
        assert.equal(restored.rows[0].n, 50, "the database was restored from the dump before the load");

        const runDir = join(runs, [...Deno.readDirSync(runs)].find((e) => e.name.endsWith("_main"))!.name);
        const files = [...Deno.readDirSync(runDir)].map((e) => e.name);
        for (
          const pattern of [
            /^load_summary_.*\.json$/,
            /^load_progress_.*\.csv$/,
            /^manifest\.json$/,
            /^report\.html$/,
          ]
        ) {
          assert.ok(files.some((f) => pattern.test(f)), `${pattern} in ${files}`);
        }
        const manifest = JSON.parse(await Deno.readTextFile(join(runDir, "manifest.json")));
        assert.deepEqual(manifest.steps.map((s: { name: string }) => s.name), [
          "restore",
          "capture start",
          "load",
          "capture stop",
          "manifest",
          "report",
        ]);
        const pgCsv = files.find((f) => f.startsWith(`pg_${db.name}_`) && f.endsWith("_main.csv"));
        assert.ok(pgCsv, `pg-stats CSV in ${files}`);
        const pgRows = (await Deno.readTextFile(join(runDir, pgCsv))).trim().split("\n");
        assert.ok(pgRows.length >= 8, `pg-stats sampled through the run: ${pgRows.length - 1} rows`);
        const html = await Deno.readTextFile(join(runDir, "report.html"));
        assert.ok(html.includes('id="chart-pg"'), "Postgres connections in the report");
        assert.ok(manifest.steps.every((s: { status: string }) => s.status === "ok"));
        assert.equal(manifest.restore.dump, dump);
        assert.ok(!JSON.stringify(manifest).includes("Demo-pass-1"), "no password in the manifest");

        const slow = await runCli([
          "bench",
          "--config",
          config,
          ...LOAD,
          "--tag",
          "slow",
          "--out",
          runs,
          "--threshold",
          "forum:p95<200ms",
        ]);
        assert.equal(slow.code, 99, slow.stderr);
        assert.match(slow.stderr, /✗ forum:p95<200ms: CROSSED \(measured \d+(\.\d+)? ms/);
        assert.match(slow.stderr.trim().split("\n").at(-1)!, /^moodle-load: thresholds crossed/);

        // a failing step: a dump that does not exist stops the bench before any load
        const failed = await runCli([
          "bench",
          "--config",
          config,
          ...LOAD,
          "--restore",
          join(dir, "nope.dump"),
          "--db-url",
          db.url,
          "--out",
          runs,
          "--tag",
          "broken",
        ]);
        assert.notEqual(failed.code, 0);
        assert.match(failed.stderr, /bench: step "restore" failed: .*later steps did not run/);
        const brokenDir = join(
          runs,
          [...Deno.readDirSync(runs)].find((e) => e.name.endsWith("_broken"))!.name,
        );
        const brokenManifest = JSON.parse(await Deno.readTextFile(join(brokenDir, "manifest.json")));
        assert.equal(brokenManifest.failed_step, "restore");
      });
    } finally {
      await server.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
);

Deno.test(
  "bench with Docker capture: a container's CSV in the run directory, CPU and memory in the report",
  requireService("Docker Engine (private dockerd)", await dockerAvailability()),
  async () => {
    const dir = await Deno.makeTempDir({ prefix: "bench_docker_" });
    const users = defaultDemoUsers(3);
    const server = await startDemoServer({ users, pageBytes: 10_000, latencyMs: 5 });
    const engine = await startPrivateDocker();
    try {
      await engine.must(["run", "-d", "--name", "moodle-web", BUSYBOX_IMAGE, "sleep", "3600"]);
      const config = join(dir, "site.json");
      await Deno.writeTextFile(config, JSON.stringify(demoRunConfig({ url: server.url, users })));
      const runs = join(dir, "runs");
      const result = await runCli([
        "bench",
        "--config",
        config,
        ...LOAD,
        "--containers",
        "moodle-web",
        "--docker-host",
        engine.host,
        "--tag",
        "docker",
        "--out",
        runs,
      ]);
      assert.equal(result.code, 0, result.stderr);
      const runDir = join(runs, [...Deno.readDirSync(runs)][0].name);
      const files = [...Deno.readDirSync(runDir)].map((e) => e.name);
      const csv = files.find((f) => f.startsWith("moodle-web_") && f.endsWith("_docker.csv"));
      assert.ok(csv, `docker-stats CSV in ${files}`);
      const rows = (await Deno.readTextFile(join(runDir, csv))).trim().split("\n");
      assert.ok(rows.length >= 4, `sampled every second through the run: ${rows.length - 1} rows`);
      const html = await Deno.readTextFile(join(runDir, "report.html"));
      assert.ok(html.includes('id="chart-cpu"') && html.includes('id="chart-memory"'));
      const manifest = JSON.parse(await Deno.readTextFile(join(runDir, "manifest.json")));
      assert.deepEqual(manifest.containers, ["moodle-web"]);
    } finally {
      await engine.stop();
      await server.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
);

Deno.test("run --threshold: exit 99 when a deliberately slow endpoint crosses it, 0 otherwise, 2 for a typo", async () => {
  const dir = await Deno.makeTempDir({ prefix: "run_thresholds_" });
  const users = defaultDemoUsers(4);
  const server = await startDemoServer({
    users,
    pageBytes: 10_000,
    latencyMs: 5,
    latencyByPath: { "/mod/forum/view.php": 250 },
  });
  try {
    const config = join(dir, "site.json");
    await Deno.writeTextFile(
      config,
      JSON.stringify({ ...demoRunConfig({ url: server.url, users }), thresholds: ["error_rate<1%"] }),
    );
    const run = (...extra: string[]) =>
      runCli(["run", "--config", config, ...LOAD, "--stats-dir", join(dir, "stats"), ...extra]);
    const slow = await run("--threshold", "forum:p95<200ms", "--threshold", "p99<60s");
    assert.equal(slow.code, 99, slow.stderr);
    assert.match(slow.stderr, /✗ forum:p95<200ms: CROSSED/);
    assert.match(slow.stderr, /✓ error_rate<1%: ok/, "the config's thresholds are judged too");
    assert.equal(slow.stderr.trim().split("\n").at(-1), "moodle-load: thresholds crossed: forum:p95<200ms");
    const fine = await run("--threshold", "dashboard:p95<200ms");
    assert.equal(fine.code, 0, fine.stderr);
    assert.match(fine.stderr, /all 2 thresholds met/);
    const typo = await run("--threshold", "forums:p95<200ms");
    assert.equal(typo.code, 2, typo.stderr);
    assert.match(typo.stderr, /names an endpoint the config does not have/);
    const syntax = await run("--threshold", "p95<<1");
    assert.equal(syntax.code, 2);
  } finally {
    await server.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("bench Ctrl-C: stops the load, keeps and reports what was measured, exits 130", async () => {
  const dir = await Deno.makeTempDir({ prefix: "bench_sigint_" });
  const users = defaultDemoUsers(3);
  const server = await startDemoServer({ users, pageBytes: 10_000, latencyMs: 5 });
  try {
    const config = join(dir, "site.json");
    await Deno.writeTextFile(config, JSON.stringify(demoRunConfig({ url: server.url, users })));
    const runs = join(dir, "runs");
    const child = cliCommand([
      "bench",
      "--config",
      config,
      "--rpm",
      "1200",
      "--duration",
      "60",
      "--progress",
      "1",
      "--tag",
      "stopped",
      "--out",
      runs,
    ]).spawn();
    // wait until the measured phase has begun (the first progress block), then Ctrl-C
    const reader = child.stdout.getReader();
    const decoder = new TextDecoder();
    let seen = "";
    const deadline = Date.now() + 30_000;
    while (!/measuring/.test(seen) && Date.now() < deadline) {
      const { value, done } = await reader.read();
      if (done) break;
      seen += decoder.decode(value);
    }
    await new Promise((resolve) => setTimeout(resolve, 1500));
    child.kill("SIGINT");
    const drain = (async () => {
      for (;;) if ((await reader.read()).done) break;
    })();
    const [status, stderr] = await Promise.all([
      child.status,
      new Response(child.stderr).text(),
      drain,
    ]);
    assert.equal(status.code, 130, stderr);
    assert.match(stderr, /bench: step "load" failed: interrupted/);
    const runDir = join(runs, [...Deno.readDirSync(runs)][0].name);
    const files = [...Deno.readDirSync(runDir)].map((e) => e.name);
    assert.ok(files.some((f) => /^load_summary_.*\.json$/.test(f)), `${files}`);
    assert.ok(files.includes("report.html"), "what was measured is reported");
    const manifest = JSON.parse(await Deno.readTextFile(join(runDir, "manifest.json")));
    assert.equal(manifest.failed_step, "load");
    const summary = JSON.parse(
      await Deno.readTextFile(join(runDir, files.find((f) => /^load_summary_.*\.json$/.test(f))!)),
    );
    assert.equal(summary.interrupted, true);
    assert.ok(summary.total > 0);
  } finally {
    await server.close();
    await Deno.remove(dir, { recursive: true });
  }
});
