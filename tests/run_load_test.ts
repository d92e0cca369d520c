/** `runLoad` in process with plain-fetch users against a tiny local server: files, JSON, counts. */
import assert from "node:assert/strict";
import { runLoad, type RunOptions } from "../src/commands/run.ts";
import type { UserBackend } from "../src/moodle/backend.ts";
import { loginAll } from "../src/moodle/login_phase.ts";
import { PlainFetchUser } from "../src/moodle/plain_user.ts";
import type { LoginOutcome } from "../src/engine/types.ts";
import { EXIT, UserError } from "../src/errors.ts";
import { type OutputFile, type OutputFs, realOutputFs } from "../src/output/atomic.ts";
import { decodeHistogram } from "./helpers/histogram.ts";
import { writeConfig } from "./helpers/config.ts";

const plainBackend = (failLogin = false): UserBackend => ({
  createUsers(config) {
    const users = config.users.map((u) => {
      const user = new PlainFetchUser(u.username);
      if (failLogin) {
        user.login = (): Promise<LoginOutcome> =>
          Promise.resolve({
            ok: false,
            username: u.username,
            reason: "wrong_credentials",
            detail: "Invalid login, please try again",
            attempts: 1,
            durationMs: 1,
          });
      }
      return user;
    });
    return Promise.resolve({ users, close() {} });
  },
  loginAll,
});

class Sink {
  text = "";
  writeSync(p: Uint8Array): number {
    this.text += new TextDecoder().decode(p);
    return p.length;
  }
  isTerminal(): boolean {
    return false;
  }
}

async function withSite(body: (base: string, dir: string) => Promise<void>): Promise<void> {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (request) => {
    const url = new URL(request.url);
    return url.pathname === "/err" ? new Response("x", { status: 503 }) : new Response("y".repeat(500));
  });
  const dir = await Deno.makeTempDir({ prefix: "moodle_load_run_" });
  try {
    await body(`http://127.0.0.1:${server.addr.port}`, dir);
  } finally {
    await server.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
}

function options(dir: string, extra: Partial<RunOptions> = {}): RunOptions {
  return {
    config: `${dir}/config.json`,
    rpm: 1800,
    duration: 2,
    concurrency: 10,
    statsDir: `${dir}/stats`,
    insecure: false,
    loginTimeout: 5,
    requestTimeout: 5,
    progress: 1,
    warmup: 0,
    loginConcurrency: 2,
    maxRetries: 0,
    quiet: false,
    json: true,
    ...extra,
  };
}

/** Five users, a page endpoint and an error endpoint on the test server at `base`. */
function serverConfig(base: string) {
  return {
    base_url: base,
    users: Array.from({ length: 5 }, (_, i) => ({ username: `u${i}`, password: "secret-pw" })),
    parameters: { id: { min: 1, max: 5 } },
    urls: [{ path: "/page?id={id}", name: "page", weight: 9 }, { path: "/err", name: "err" }],
  };
}

Deno.test("runLoad writes progress/summary/endpoint CSVs and the JSON summary; counts agree", async () => {
  await withSite(async (base, dir) => {
    await writeConfig(dir, serverConfig(base));
    const out = new Sink();
    const log = console.log;
    let stdout = "";
    console.log = (text: string) => void (stdout += text + "\n");
    let summary;
    try {
      summary = await runLoad(options(dir, { seed: 7, warmup: 1, requestLog: `${dir}/requests.jsonl` }), {
        backend: plainBackend(),
        version: "test",
        out,
      });
    } finally {
      console.log = log;
    }
    assert.ok(summary);
    const files = [...Deno.readDirSync(`${dir}/stats`)].map((e) => e.name).sort();
    assert.equal(files.length, 4, files.join(" "));
    assert.ok(files.some((f) => /^load_progress_\d{8}T\d{6}Z\.csv$/.test(f)));
    assert.ok(files.some((f) => /^load_summary_\d{8}T\d{6}Z\.json$/.test(f)));
    const json = JSON.parse(
      await Deno.readTextFile(`${dir}/stats/${files.find((f) => f.endsWith(".json"))}`),
    );
    for (const key of ["elapsed_sec", "total", "success", "failures", "req_per_min_observed"]) {
      assert.equal(typeof json[key], "number", key);
    }
    // Every key of the RunSummary contract (summary_types.ts) is there.
    for (
      const key of [
        "tool",
        "version",
        "schema_version",
        "started_at",
        "ended_at",
        "base_url",
        "seed",
        "elapsed_sec",
        "duration_sec",
        "warmup_sec",
        "concurrency",
        "target_rpm",
        "req_per_min_observed",
        "error_rate",
        "late",
        "not_sent",
        "scheduler_lateness_ms",
        "interrupted",
        "login",
        "endpoints",
        "intervals",
        "histograms",
        "total",
        "success",
        "failures",
        "bytes",
        "status_codes",
        "errors",
        "latency_ms_p50",
        "latency_ms_p90",
        "latency_ms_p95",
        "latency_ms_p99",
        "latency_ms_max",
        "latency_ms_mean",
        "service_ms_p50",
        "service_ms_p95",
        "service_ms_p99",
      ]
    ) assert.ok(key in json, key);
    for (const key of ["attempted", "logged_in", "relogins", "by_reason", "failed"]) {
      assert.ok(key in json.login);
    }
    for (
      const key of [
        "name",
        "path",
        "req_per_min_observed",
        "histogram",
        "service_histogram",
        "latency_ms_p99",
      ]
    ) {
      assert.ok(key in json.endpoints[0], key);
    }
    for (
      const key of ["t_sec", "epoch_ms", "interval_sec", "warmup", "target_rpm", "observed_rpm", "in_flight"]
    ) {
      assert.ok(key in json.intervals[0], key);
    }
    assert.equal(json.tool, "moodle-load");
    assert.equal(json.target_rpm, 1800);
    assert.equal(json.elapsed_sec, 2);
    assert.equal(json.seed, 7);
    assert.equal(json.total, 60);
    assert.equal(json.not_sent, 0);
    assert.equal(json.warmup.total, 30);
    assert.equal(json.success + json.failures, json.total);
    assert.equal(json.errors.http_5xx, json.endpoints[1].total);
    assert.equal(json.endpoints[0].total + json.endpoints[1].total, json.total);
    assert.equal(decodeHistogram(json.histograms.latency).totalCount, json.total);
    assert.equal(decodeHistogram(json.endpoints[0].histogram).totalCount, json.endpoints[0].total);
    assert.equal(json.login.logged_in, 5);
    assert.ok(!JSON.stringify(json).includes("secret-pw"), "passwords never written");
    // Progress: 1 warm-up interval + 2 measured; the CSV has a header and the same rows.
    assert.deepEqual(json.intervals.map((r: { warmup: boolean }) => r.warmup), [true, false, false]);
    const progress = (await Deno.readTextFile(`${dir}/stats/${
      files.find((f) => f.startsWith("load_progress"))
    }`))
      .trim().split("\n");
    assert.equal(progress.length, 4);
    const measuredTotal = json.intervals.filter((r: { warmup: boolean }) => !r.warmup)
      .reduce((sum: number, r: { total: number }) => sum + r.total, 0);
    assert.equal(measuredTotal, json.total);
    const endpoints =
      (await Deno.readTextFile(`${dir}/stats/${files.find((f) => f.startsWith("load_endpoints"))}`))
        .trim().split("\n");
    assert.equal(endpoints.length, 3);
    const requests = (await Deno.readTextFile(`${dir}/requests.jsonl`)).trim().split("\n").map((l) =>
      JSON.parse(l)
    );
    assert.equal(requests.length, 90);
    assert.equal(requests.filter((r) => !r.warmup).length, 60);
    // stdout: the JSON summary only (tables went to the sink).
    const printed = JSON.parse(stdout);
    assert.equal(printed.total, 60);
    assert.equal(printed.histograms, undefined);
    assert.match(out.text, /Logged in 5\/5/);
    assert.match(out.text, /Observed RPM/);
  });
});

Deno.test("runLoad: the same seed gives the same URL and user sequence", async () => {
  await withSite(async (base, dir) => {
    await writeConfig(dir, serverConfig(base));
    const sequences: string[][] = [];
    for (const run of [1, 2]) {
      const log = console.log;
      console.log = () => {};
      try {
        await runLoad(
          options(dir, {
            seed: 99,
            duration: 1,
            statsDir: `${dir}/s${run}`,
            requestLog: `${dir}/r${run}.jsonl`,
          }),
          { backend: plainBackend(), version: "test", out: new Sink() },
        );
      } finally {
        console.log = log;
      }
      const lines = (await Deno.readTextFile(`${dir}/r${run}.jsonl`)).trim().split("\n").map((l) =>
        JSON.parse(l)
      );
      lines.sort((a, b) => a.i - b.i);
      sequences.push(lines.map((l) => l.url));
    }
    assert.equal(sequences[0].length, 30);
    assert.deepEqual(sequences[0], sequences[1]);
  });
});

Deno.test("runLoad: no user logs in → exit code 3 with one line naming the reason", async () => {
  await withSite(async (base, dir) => {
    await writeConfig(dir, serverConfig(base));
    await assert.rejects(
      runLoad(options(dir), { backend: plainBackend(true), version: "test", out: new Sink() }),
      (error: unknown) => {
        assert.ok(error instanceof UserError);
        assert.equal(error.exitCode, 3);
        assert.match(error.message, /no user could log in .*wrong_credentials 5/);
        assert.ok(!error.message.includes("\n"));
        return true;
      },
    );
  });
});

const NO_SPACE = "No space left on device (os error 28)";

/** A real file that takes `limitBytes` and then fails like a full disk (the last write only in part). */
function fullDiskFile(file: Deno.FsFile, limitBytes: number): OutputFile {
  let total = 0;
  return {
    writeSync(bytes) {
      const room = limitBytes - total;
      if (room <= 0) throw new Error(NO_SPACE);
      const written = file.writeSync(bytes.subarray(0, Math.min(room, bytes.length)));
      total += written;
      return written;
    },
    truncateSync: (length) => file.truncateSync(length),
    close: () => file.close(),
  };
}

/** The real file system, except that `failing` paths fill up after `limitBytes`. */
function fullDiskFs(failing: (path: string) => boolean, limitBytes = 0): OutputFs {
  const wrap = (path: string, file: Deno.FsFile) => failing(path) ? fullDiskFile(file, limitBytes) : file;
  return {
    ...realOutputFs,
    createNew: async (path) => wrap(path, await Deno.open(path, { write: true, createNew: true })),
    create: async (path) => wrap(path, await Deno.open(path, { write: true, create: true, truncate: true })),
    writeFileAtomic: (path, data) =>
      failing(path) ? Promise.reject(new Error(NO_SPACE)) : realOutputFs.writeFileAtomic(path, data),
  };
}

/** Run with console.log/error captured: what reached stdout (the JSON) and stderr. */
async function captured<T>(
  work: () => Promise<T>,
): Promise<{ stdout: string; stderr: string; result: T | unknown }> {
  const { log, error } = console;
  let stdout = "";
  let stderr = "";
  console.log = (text: string) => void (stdout += text + "\n");
  console.error = (text: string) => void (stderr += text + "\n");
  let result: T | unknown;
  try {
    result = await work();
  } catch (thrown) {
    result = thrown;
  } finally {
    console.log = log;
    console.error = error;
  }
  return { stdout, stderr, result };
}

Deno.test("a full disk under --stats-dir: tables and JSON still printed, every file named with its reason, exit 1", async () => {
  await withSite(async (base, dir) => {
    await writeConfig(dir, serverConfig(base));
    const out = new Sink();
    const fs = fullDiskFs((path) => path.includes("/stats/"));
    const run = await captured(() =>
      runLoad(options(dir, { seed: 3 }), { backend: plainBackend(), version: "t", out, fs })
    );
    assert.ok(run.result instanceof UserError, String(run.result));
    assert.equal(run.result.exitCode, EXIT.failure);
    assert.match(
      run.result.message,
      /4 files could not be written .*load_summary_.*the results are on stdout/,
    );
    assert.match(out.text, /Observed RPM/, "the result table was printed");
    const printed = JSON.parse(run.stdout);
    assert.ok(printed.total > 0);
    assert.equal(printed.summary_file, null, "no summary file to point at");
    for (const kind of ["progress_.*\\.csv", "summary_.*\\.json", "summary_.*\\.csv", "endpoints_.*\\.csv"]) {
      assert.match(
        run.stderr,
        new RegExp(`cannot write \\S+load_${kind}: ${NO_SPACE.replace(/[()]/g, "\\$&")}`),
      );
    }
  });
});

Deno.test("a request log that hits a write error: stops logging (whole lines only, said once), the run goes on", async () => {
  await withSite(async (base, dir) => {
    await writeConfig(dir, serverConfig(base));
    const requestLog = `${dir}/requests.jsonl`;
    const fs = fullDiskFs((path) => path === requestLog, 10_000);
    const run = await captured(() =>
      runLoad(options(dir, { requestLog }), { backend: plainBackend(), version: "t", out: new Sink(), fs })
    );
    assert.ok(run.result instanceof UserError, String(run.result));
    assert.equal(run.result.exitCode, EXIT.failure);
    assert.match(run.result.message, /1 file could not be written \(\S+requests\.jsonl\)/);
    const said = run.stderr.split("\n").filter((line) => line.includes("requests.jsonl: No space"));
    assert.equal(said.length, 1, run.stderr);
    assert.match(said[0], /request logging stopped .*the run goes on/);
    const text = Deno.readTextFileSync(requestLog);
    assert.ok(text.length > 0 && text.length <= 10_000 && text.endsWith("\n"), `${text.length} bytes`);
    for (const line of text.trim().split("\n")) JSON.parse(line);
    const summary = JSON.parse(run.stdout);
    assert.ok(summary.total > text.trim().split("\n").length, "the run went on after the log stopped");
    assert.equal([...Deno.readDirSync(`${dir}/stats`)].length, 4, "the stats files are complete");
  });
});
