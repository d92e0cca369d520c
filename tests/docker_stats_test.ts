/** docker-stats without a Docker Engine: host parsing, name resolution, gap logic, errors, permissions. */
import assert from "node:assert/strict";
import { dockerSocketPath } from "../src/docker/host.ts";
import { resolveContainers, resolveOne, runningContainer } from "../src/docker/resolve.ts";
import { ContainerSeries } from "../src/docker/series.ts";
import type { StatsJson } from "../src/docker/stats_math.ts";
import { CSV_HEADER, csvValues } from "../src/docker/stats_output.ts";
import { csvFileName, fileStamp } from "../src/results/stamp.ts";
import { socketError } from "../src/docker/capture.ts";
import type { UserError } from "../src/errors.ts";
import { runFlags } from "../src/permissions.ts";
import { runCli } from "./helpers/cli.ts";

Deno.test("--docker-host: unix URLs and paths accepted, TCP and others refused in one line", () => {
  assert.equal(dockerSocketPath(undefined), "/var/run/docker.sock");
  assert.equal(dockerSocketPath(""), "/var/run/docker.sock");
  assert.equal(dockerSocketPath("unix:///tmp/d.sock"), "/tmp/d.sock");
  assert.equal(dockerSocketPath("/tmp/d.sock"), "/tmp/d.sock");
  for (const host of ["tcp://127.0.0.1:2375", "ssh://me@box", "npipe:////./pipe/docker_engine"]) {
    assert.throws(() => dockerSocketPath(host), (e: UserError) => {
      assert.match(e.message, /not supported/);
      assert.match(e.message, /no TCP/);
      assert.ok(!e.message.includes("\n"));
      return e.exitCode === 2;
    });
  }
});

Deno.test("container names: exact name or id, then unique prefix; unknown lists the running ones", () => {
  const running = [
    { Id: "abc123def456", Names: ["/moodle"] },
    { Id: "abd999000111", Names: ["/moodle-db"] },
    { Id: "ffff00001111", Names: ["/cron"] },
  ].map(runningContainer);
  assert.equal(resolveOne("moodle", running).id, "abc123def456"); // exact beats the prefix of moodle-db
  assert.equal(resolveOne("moodle-d", running).name, "moodle-db");
  assert.equal(resolveOne("ff", running).name, "cron");
  assert.equal(resolveOne("abc1", running).name, "moodle");
  assert.throws(() => resolveOne("ab", running), /ambiguous — it matches moodle, moodle-db/);
  assert.throws(
    () => resolveOne("nginx", running),
    /no running container "nginx" — running: cron, moodle, moodle-db/,
  );
  assert.throws(() => resolveOne("x", []), /no container is running/);
  assert.equal(resolveContainers(["moodle", "abc123"], running).length, 1);
});

const sample = (readIso: string, total: number, system: number, usage = 1000): StatsJson => ({
  read: readIso,
  cpu_stats: { cpu_usage: { total_usage: total }, system_cpu_usage: system, online_cpus: 2 },
  precpu_stats: { cpu_usage: { total_usage: 0 }, system_cpu_usage: 0, online_cpus: 2 },
  memory_stats: { usage, limit: 4000, stats: {} },
  pids_stats: { current: 3 },
});
const stopped: StatsJson = { read: "0001-01-01T00:00:00Z", cpu_stats: { cpu_usage: { total_usage: 0 } } };
const at = (s: number) => `2026-11-21T06:00:${String(s).padStart(2, "0")}.000000000Z`;

Deno.test("series: first sample is only a baseline; stop → one gap row; rows resume after a new baseline", () => {
  const series = new ContainerSeries(1000);
  assert.deepEqual(series.onSample(sample(at(0), 0, 0)), []); // zero precpu: dropped
  const first = series.onSample(sample(at(1), 500_000_000, 2_000_000_000));
  assert.equal(first.length, 1);
  assert.equal(first[0].kind, "row");
  if (first[0].kind === "row") assert.equal(first[0].row.cpuPct, 50); // 0.5e9 / 2e9 × 2 × 100
  const gap = series.onSample(stopped, 5_000);
  assert.deepEqual(gap, [{ kind: "gap", timeMs: 5_000, reason: "stopped" }]);
  assert.deepEqual(series.onSample(stopped, 6_000), []); // still stopped: no second gap row
  assert.equal(series.state, "gap");
  // Back (the new cgroup's counters restart near 0): new baseline, then rows.
  assert.deepEqual(series.onSample(sample(at(8), 1_000, 10_000_000_000)), []);
  const resumed = series.onSample(sample(at(9), 250_001_000, 12_000_000_000));
  assert.equal(resumed.length, 1);
  if (resumed[0].kind === "row") assert.equal(resumed[0].row.cpuPct, 25);
  assert.equal(series.state, "running");
});

Deno.test("series: a restart without a stopped sample (counters go backwards) is a gap too", () => {
  const series = new ContainerSeries(1000);
  series.onSample(sample(at(0), 900, 1000));
  assert.equal(series.onSample(sample(at(1), 1900, 3000))[0].kind, "row");
  assert.equal(series.onSample(sample(at(2), 100, 5000))[0].kind, "gap");
  assert.equal(series.onSample(sample(at(3), 1100, 7000))[0].kind, "row");
});

Deno.test("series: --interval 3 writes every third sample, CPU averaged over the 3 s", () => {
  const series = new ContainerSeries(3000);
  const events = [0, 1, 2, 3, 4, 5, 6].flatMap((s) =>
    series.onSample(sample(at(s), s * 100_000_000, s * 2_000_000_000))
  );
  assert.deepEqual(events.map((e) => e.timeMs), [Date.parse(at(3)), Date.parse(at(6))]);
  // (3e8 / 6e9) × 2 × 100 = 10
  for (const e of events) if (e.kind === "row") assert.equal(e.row.cpuPct, 10);
});

Deno.test("series: a lost stream is one gap until samples return", () => {
  const series = new ContainerSeries(1000);
  series.onSample(sample(at(0), 0, 0));
  assert.equal(series.onDetached(1, "gone").length, 1);
  assert.equal(series.onDetached(2, "gone").length, 0);
});

Deno.test("CSV: header as the issue lists it, gap rows keep the time and leave numbers empty", () => {
  assert.deepEqual([...CSV_HEADER], [
    "epoch_ms",
    "iso_time",
    "cpu_pct",
    "mem_used_bytes",
    "mem_limit_bytes",
    "mem_pct",
    "net_rx_bytes",
    "net_tx_bytes",
    "blk_read_bytes",
    "blk_write_bytes",
    "pids",
  ]);
  const gap = csvValues({ kind: "gap", timeMs: 0, reason: "stopped" });
  assert.deepEqual(gap, [0, "1970-01-01T00:00:00.000Z", "", "", "", "", "", "", "", "", ""]);
  assert.equal(csvFileName("web/1", "20261121T060000Z", "base line"), "web-1_20261121T060000Z_base-line.csv");
  assert.equal(csvFileName("db", "X"), "db_X.csv");
  assert.equal(fileStamp(new Date(Date.UTC(2026, 10, 21, 6, 1, 2, 345))), "20261121T060102Z");
});

Deno.test("socket errors: one line naming the socket and what to do", () => {
  const s = "/var/run/docker.sock";
  assert.match(
    socketError(s, { code: "EACCES" }).message,
    /permission denied on the Docker socket \/var\/run\/docker\.sock — add your user to the "docker" group/,
  );
  assert.match(
    socketError(s, { code: "ENOENT" }).message,
    /\/var\/run\/docker\.sock does not exist — is dockerd running\?/,
  );
  assert.match(socketError(s, { code: "ECONNREFUSED" }).message, /nothing is listening on the Docker socket/);
  assert.match(
    socketError(s, new Deno.errors.NotCapable("x")).message,
    /not allowed to use \/var\/run\/docker\.sock/,
  );
});

Deno.test("docker-stats CLI: missing socket, TCP host, no containers named — one line each", async () => {
  const missing = await runCli([
    "docker-stats",
    "--all",
    "--docker-host",
    "unix:///tmp/no-such-dir/docker.sock",
  ], {
    flags: ["--allow-all"],
  });
  assert.equal(missing.code, 1);
  assert.equal(missing.stderr.trim().split("\n").length, 1, missing.stderr);
  assert.match(
    missing.stderr,
    /^moodle-load: the Docker socket \/tmp\/no-such-dir\/docker\.sock does not exist/,
  );

  const tcp = await runCli(["docker-stats", "--all"], { env: { DOCKER_HOST: "tcp://127.0.0.1:2375" } });
  assert.equal(tcp.code, 2);
  assert.match(
    tcp.stderr,
    /^moodle-load: docker host "tcp:\/\/127\.0\.0\.1:2375" is not supported .*no TCP permission/,
  );

  const none = await runCli(["docker-stats"]);
  assert.equal(none.code, 2);
  assert.match(none.stderr, /--containers a b …, or use --all/);
});

Deno.test("docker-stats under its task's flags: TCP connections, other files and processes are refused", async () => {
  const flags = runFlags("docker-stats");
  assert.ok(flags.includes("--allow-net=unix:/var/run/docker.sock"), flags.join(" "));
  assert.ok(flags.includes("--allow-read=/var/run/docker.sock"), flags.join(" "));
  const probe = await runCli(["docker-stats", "--all", "--permission-probe"], { flags });
  assert.equal(probe.code, 0, probe.stderr);
  const report = JSON.parse(probe.stdout.trim().split("\n").at(-1)!);
  assert.equal(report.outcomes.net, "refused"); // a TCP connect to 127.0.0.1
  assert.equal(report.outcomes.read, "refused"); // anything but the socket
  assert.equal(report.outcomes.run, "refused");
  assert.equal(report.outcomes.sys, "refused");

  // The real command: an --out (or its old name --outdir) or a socket outside the scope, said in one line
  // before anything happens.
  const outdir = await runCli(["docker-stats", "--all", "--outdir", "/tmp/elsewhere"], { flags });
  assert.equal(outdir.code, 1);
  assert.match(
    outdir.stderr,
    /^moodle-load: this process may not write to --out \/tmp\/elsewhere \(`deno task/,
  );
  assert.equal(outdir.stderr.trim().split("\n").length, 1);
  const other = await runCli(["docker-stats", "--all", "--docker-host", "unix:///tmp/other.sock"], { flags });
  assert.equal(other.code, 1);
  assert.match(other.stderr, /^moodle-load: this process is not allowed to use \/tmp\/other\.sock/);
});

Deno.test("docker-stats / pg-stats: a bad duration is a usage error in one line, exit 2", async () => {
  for (const args of [["docker-stats", "--all", "--interval", "abc"], ["pg-stats", "--duration", "x"]]) {
    const run = await runCli(args);
    assert.equal(run.code, 2, args.join(" "));
    assert.equal(run.stderr.trim().split("\n").length, 1, run.stderr);
    assert.match(run.stderr, /is invalid\. not a duration/);
  }
  const tooShort = await runCli(["docker-stats", "--all", "--interval", "0.5"]);
  assert.equal(tooShort.code, 2);
  assert.match(tooShort.stderr, /--interval must be at least 1 second/);
});
