/** `runLoad` in process with plain-fetch users against a tiny local server: files, JSON, counts. */
import assert from "node:assert/strict";
import { runLoad, type RunOptions } from "../src/commands/run.ts";
import type { UserBackend } from "../src/moodle/backend.ts";
import { loginAll } from "../src/moodle/login_phase.ts";
import { PlainFetchUser } from "../src/moodle/plain_user.ts";
import type { LoginOutcome } from "../src/engine/types.ts";
import { UserError } from "../src/errors.ts";
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
    assert.ok(files.some((f) => /^load_progress_\d{8}_\d{6}\.csv$/.test(f)));
    assert.ok(files.some((f) => /^load_summary_\d{8}_\d{6}\.json$/.test(f)));
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
