/** `moodle-load run` and `demo` end to end: the real CLI as a child process against the demo site. */
import assert from "node:assert/strict";
import { cliCommand, runCli } from "./helpers/cli.ts";
import { closedPort, withDemo } from "./helpers/demo.ts";
import { DEFAULT_DEMO_PASSWORD, defaultDemoUsers } from "../src/demo/mod.ts";
import { demoRunConfig } from "../src/demo/config.ts";
import { decodeHistogram } from "./helpers/histogram.ts";
import { runFlags } from "../src/permissions.ts";
import { makeSelfSignedCert } from "./helpers/tls.ts";
import { writeConfig } from "./helpers/config.ts";

async function tempDir(): Promise<string> {
  return await Deno.makeTempDir({ prefix: "moodle_load_cli_" });
}

/** A temp dir with a config.json for the demo site at `url` and its first `users` default users. */
async function demoConfigDir(url: string, users: number): Promise<{ dir: string; config: string }> {
  const dir = await tempDir();
  const config = await writeConfig(dir, demoRunConfig({ url, users: defaultDemoUsers(users) }));
  return { dir, config };
}

/** `run --config CONFIG --rpm RPM --duration SECONDS` and then `more`. */
function runArgs(config: string, rpm: string, duration: string, ...more: string[]): string[] {
  return ["run", "--config", config, "--rpm", rpm, "--duration", duration, ...more];
}

/** The four files every run writes (as statsFiles names them), sorted. */
const STATS_FILES = ["endpoints.csv", "progress.csv", "summary.csv", "summary.json"];

async function statsFiles(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const entry of Deno.readDirSync(dir)) {
    const kind = /^load_(progress|summary|endpoints)_\d{8}T\d{6}Z(?:-\d+)?\.(csv|json)$/.exec(entry.name);
    if (kind) out[`${kind[1]}.${kind[2]}`] = await Deno.readTextFile(`${dir}/${entry.name}`);
  }
  return out;
}

function oneLine(stderr: string): string {
  const lines = stderr.trim().split("\n");
  assert.equal(lines.length, 1, `expected one line on stderr, got:\n${stderr}`);
  assert.match(lines[0], /^moodle-load: /);
  return lines[0];
}

Deno.test("run against the demo site through the CLI: tables, JSON on stdout, four consistent files", async () => {
  await withDemo({ users: defaultDemoUsers(6), pageBytes: 20_000, latencyMs: 5 }, async (demo) => {
    const { dir, config } = await demoConfigDir(demo.url, 6);
    const result = await runCli(
      runArgs(
        config,
        "1200",
        "3",
        "--progress",
        "1",
        "--stats-dir",
        `${dir}/stats`,
        "--seed",
        "5",
        "--request-log",
        `${dir}/requests.jsonl`,
      ),
    );
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /Logged in 6\/6/);
    assert.match(result.stdout, /Observed RPM/);
    assert.match(result.stdout, /discussion/);
    const printed = JSON.parse(result.stdout.trim().split("\n").at(-1)!);
    const files = await statsFiles(`${dir}/stats`);
    assert.deepEqual(Object.keys(files).sort(), STATS_FILES);
    const summary = JSON.parse(files["summary.json"]);
    assert.equal(printed.total, summary.total);
    assert.equal(summary.seed, 5);
    assert.equal(summary.total, 60);
    assert.equal(summary.not_sent, 0);
    assert.equal(summary.success + summary.failures, summary.total);
    assert.equal(summary.login.logged_in, 6);
    assert.equal(
      summary.endpoints.reduce((sum: number, e: { total: number }) => sum + e.total, 0),
      summary.total,
    );
    assert.equal(decodeHistogram(summary.histograms.latency).totalCount, summary.total);
    assert.ok(summary.moodle_perf.pages > 0, "the demo site's performance footer is aggregated");
    assert.ok(summary.latency_ms_p50 >= summary.service_ms_p50 * 0.9);
    assert.equal(files["progress.csv"].trim().split("\n").length, 1 + summary.intervals.length);
    assert.equal(files["endpoints.csv"].trim().split("\n").length, 1 + summary.endpoints.length);
    assert.equal(files["summary.csv"].trim().split("\n").length, 2);
    const requests = (await Deno.readTextFile(`${dir}/requests.jsonl`)).trim().split("\n");
    assert.equal(requests.length, summary.total);
    assert.ok(
      !Object.values(files).some((text) => text.includes(DEFAULT_DEMO_PASSWORD)),
      "no password in files",
    );
    assert.ok(!result.stdout.includes(DEFAULT_DEMO_PASSWORD));
    await Deno.remove(dir, { recursive: true });
  });
});

Deno.test("session loss mid-run: the user logs in again, the run goes on, re-logins counted", async () => {
  await withDemo({ users: defaultDemoUsers(4), pageBytes: 5_000 }, async (demo) => {
    const { dir, config } = await demoConfigDir(demo.url, 4);
    const child = cliCommand(runArgs(config, "1200", "4", "--stats-dir", dir, "--quiet", "--json")).spawn();
    // Expire every session once the measured phase is under way (logins take well under 2 s).
    const started = Date.now();
    while (demo.sessions.active < 4 && Date.now() - started < 20_000) {
      await new Promise((r) => setTimeout(r, 50));
    }
    await new Promise((r) => setTimeout(r, 1500));
    const expired = demo.expireAllSessions();
    const output = await child.output();
    const stdout = new TextDecoder().decode(output.stdout);
    assert.equal(output.code, 0, new TextDecoder().decode(output.stderr));
    const summary = JSON.parse(stdout);
    assert.ok(expired >= 1, "sessions existed");
    assert.ok(summary.login.relogins >= 1, `relogins ${summary.login.relogins}`);
    assert.ok((summary.errors.session_lost ?? 0) >= 1, JSON.stringify(summary.errors));
    assert.equal(summary.success + summary.failures, summary.total);
    // The run went on after the loss: most requests still succeeded.
    assert.ok(summary.success > summary.total * 0.7, `${summary.success} of ${summary.total}`);
    await Deno.remove(dir, { recursive: true });
  });
});

Deno.test("Ctrl-C: SIGINT to a running `run` writes complete files and exits 130", async () => {
  await withDemo({ users: defaultDemoUsers(4), pageBytes: 5_000 }, async (demo) => {
    const { dir, config } = await demoConfigDir(demo.url, 4);
    const child = cliCommand(runArgs(config, "600", "120", "--progress", "1", "--stats-dir", dir)).spawn();
    const started = Date.now();
    while (Date.now() - started < 30_000) {
      await new Promise((r) => setTimeout(r, 200));
      if ([...Deno.readDirSync(dir)].some((e) => e.name.startsWith("load_progress"))) break;
    }
    await new Promise((r) => setTimeout(r, 2500));
    child.kill("SIGINT");
    const output = await child.output();
    const stderr = new TextDecoder().decode(output.stderr);
    assert.equal(output.code, 130, stderr);
    assert.match(oneLine(stderr), /interrupted/);
    const files = await statsFiles(dir);
    assert.deepEqual(Object.keys(files).sort(), STATS_FILES);
    const summary = JSON.parse(files["summary.json"]);
    assert.equal(summary.interrupted, true);
    assert.ok(summary.total > 0 && summary.elapsed_sec < 60, `${summary.total} in ${summary.elapsed_sec}s`);
    assert.equal(summary.not_sent, 0);
    assert.ok(![...Deno.readDirSync(dir)].some((e) => e.name.endsWith(".tmp")), "no temp files left");
    await Deno.remove(dir, { recursive: true });
  });
});

Deno.test("bad inputs each end with one clear line and a non-zero exit", async () => {
  const dir = await tempDir();
  const users = defaultDemoUsers(3);
  const base = [
    "--rpm",
    "60",
    "--duration",
    "2",
    "--stats-dir",
    dir,
    "--max-retries",
    "0",
    "--login-timeout",
    "5",
  ];

  // Unreachable host: every login fails with a network error → exit 3.
  const unreachable = await writeConfig(
    dir,
    demoRunConfig({ url: `http://127.0.0.1:${closedPort()}`, users: defaultDemoUsers(3) }),
  );
  const r1 = await runCli(["run", "--config", unreachable, ...base]);
  assert.equal(r1.code, 3, r1.stderr);
  assert.match(oneLine(r1.stderr), /no user could log in .*network/);

  // Wrong password for everyone → exit 3, named reason, never a password.
  await withDemo({ users }, async (demo) => {
    const config = demoRunConfig({ url: demo.url, users: defaultDemoUsers(3) });
    config.users = config.users.map((u) => ({ ...u, password: "wrong-Pass-9" }));
    const r2 = await runCli(["run", "--config", await writeConfig(dir, config), ...base]);
    assert.equal(r2.code, 3, r2.stderr);
    assert.match(oneLine(r2.stderr), /no user could log in .*wrong_credentials 3/);
    assert.ok(!r2.stdout.includes("wrong-Pass-9") && !r2.stderr.includes("wrong-Pass-9"));
  });

  // Malformed config → exit 2.
  await Deno.writeTextFile(`${dir}/bad.json`, '{"base_url": "http://x", "users": [');
  const r3 = await runCli(["run", "--config", `${dir}/bad.json`, ...base]);
  assert.equal(r3.code, 2, r3.stderr);
  assert.match(oneLine(r3.stderr), /bad\.json: \$: not valid JSON/);

  // Unknown flag → exit 2, commander's one line with a suggestion.
  const r4 = await runCli(["run", "--config", unreachable, "--rmp", "60"]);
  assert.equal(r4.code, 2, r4.stderr);
  assert.equal(r4.stderr.trim().split("\n").length, 1, r4.stderr);
  assert.match(r4.stderr, /unknown option '--rmp'/);

  // A missing rate → exit 2.
  const r5 = await runCli(["run", "--config", unreachable, "--duration", "2"]);
  assert.equal(r5.code, 2, r5.stderr);
  assert.match(oneLine(r5.stderr), /no target rate/);
  // An --out that cannot be made: said before any login.
  await Deno.writeTextFile(`${dir}/plain-file`, "");
  const r6 = await runCli([
    "run",
    "--config",
    unreachable,
    ...base,
    "--out",
    `${dir}/plain-file/stats`,
  ]);
  assert.equal(r6.code, 1, r6.stderr);
  assert.match(oneLine(r6.stderr), /--out: cannot write/);
  assert.doesNotMatch(r6.stdout, /Logging in/);
  assert.equal([...Deno.readDirSync(dir)].filter((e) => e.name.startsWith("load_")).length, 0, "no files");
  // A --request-log in a missing folder: also said before the (possibly long) login phase.
  const r7 = await runCli(["run", "--config", unreachable, ...base, "--request-log", `${dir}/nope/r.jsonl`]);
  assert.equal(r7.code, 2, r7.stderr);
  assert.match(oneLine(r7.stderr), /--request-log .*the folder .*nope does not exist/);
  assert.doesNotMatch(r7.stdout, /Logging in/);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("demo: starts the built-in site and runs a short load with the same files", async () => {
  const dir = await tempDir();
  const result = await runCli(["demo", "--duration", "2", "--progress", "1", "--stats-dir", `${dir}/stats`], {
    cwd: dir,
  });
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /Demo: a Moodle-like site at http:\/\/127\.0\.0\.1:\d+\/moodle\//);
  assert.match(result.stdout, /Logged in 10\/10/);
  const files = await statsFiles(`${dir}/stats`);
  assert.equal(Object.keys(files).length, 4);
  const summary = JSON.parse(files["summary.json"]);
  assert.equal(summary.total + summary.not_sent, 40);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("run over HTTPS with a self-signed certificate: refused by default, --insecure and --ca-cert work (run's own permissions)", async () => {
  const cert = await makeSelfSignedCert();
  try {
    await withDemo({ users: defaultDemoUsers(2), tls: cert, pageBytes: 5_000 }, async (demo) => {
      const { dir, config } = await demoConfigDir(demo.url, 2);
      const args = runArgs(config, "600", "1", "--stats-dir", dir, "--quiet");
      const flags = runFlags("run");
      const plain = await runCli([...args, "--max-retries", "0"], { flags });
      assert.equal(plain.code, 3, plain.stderr);
      assert.match(
        oneLine(plain.stderr),
        /no user could log in .*TLS.*--ca-cert FILE, or skip verification with --insecure/,
      );
      for (const extra of [["--insecure"], ["--ca-cert", cert.certFile]]) {
        const result = await runCli([...args, ...extra, "--json"], { flags });
        assert.equal(result.code, 0, `${extra[0]}: ${result.stderr}`);
        const summary = JSON.parse(result.stdout);
        assert.equal(summary.login.logged_in, 2, extra[0]);
        assert.equal(summary.success, 10, extra[0]);
      }
      await Deno.remove(dir, { recursive: true });
    });
  } finally {
    await Deno.remove(cert.dir, { recursive: true });
  }
});
