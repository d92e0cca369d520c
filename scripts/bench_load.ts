/**
 * The load engine's benchmark (figures, not tests). A fast local target (a 2 KB static page from a
 * Deno server in its own process, pinned to the second core when `taskset` exists) and, for each
 * rate, the real engine with plain-fetch users in a fresh process pinned to the first core: achieved
 * rate, rate error, not_sent, CPU µs per request, RSS, scheduler lateness, latency added by the
 * generator. Then the closed-loop maximum of plain `fetch` (the ceiling) and wrk/hey/autocannon
 * when installed.
 *
 * Users = concurrency = 64, as the closed loop's 64 connections.
 * Then a 200 KB page: moodle-load's real MoodleUser path (session, cookie jar, body reader, perf
 * footer) in 64 closed loops against the best plain-fetch loop, wrk/hey/autocannon on the same page,
 * and a paced 2,000 req/s step (60 s; `--quick` 10 s). Every step waits for the load average to settle
 * below 0.5, prints it before and after and the CPU other programs used meanwhile, and is repeated once
 * when the machine was busy (bench_quiet.ts; figures from a busy machine say so).
 * Flags / env: `--quick` (or BENCH_QUICK=1) = 3 s per rate; BENCH_SECONDS=N; BENCH_RATES=1000,5000;
 * BENCH_ONLY=big runs only the 200 KB steps, BENCH_ONLY=real only the real-Moodle agreement step (moodle-load
 * against hey on a page of the kit's Moodle 4.3, one session);
 * BENCH_SOAK=600 adds a soak run (BENCH_SOAK_RPS, default 10000) of that many seconds, RSS every 30 s.
 */
import { loadAverage1, quietStep } from "./bench_quiet.ts";
import { decodeHistogram, newHistogram, percentileMs } from "../src/engine/histogram.ts";
import { sleep } from "../src/util/sleep.ts";
import { type AccessEntry, entriesSince, logOffset, ownTimesMs } from "./bench_access_log.ts";

const here = new URL(".", import.meta.url).pathname;
const quick = Deno.args.includes("--quick") || Deno.env.get("BENCH_QUICK") === "1";
const seconds = Number(Deno.env.get("BENCH_SECONDS") ?? (quick ? 3 : 15));
const rates = (Deno.env.get("BENCH_RATES") ?? "1000,5000,10000,20000,25000,30000").split(",").map(Number);
const soak = Number(Deno.env.get("BENCH_SOAK") ?? 0);
const soakRps = Number(Deno.env.get("BENCH_SOAK_RPS") ?? 10000);

function which(tool: string): string | undefined {
  for (const dir of (Deno.env.get("PATH") ?? "").split(":")) {
    try {
      const path = `${dir}/${tool}`;
      if (Deno.statSync(path).isFile) return path;
    } catch { /* not here */ }
  }
  return undefined;
}

const taskset = which("taskset");
const cores = navigator.hardwareConcurrency;
const pin = (core: number, args: string[]): [string, string[]] =>
  taskset && cores > 1 ? [taskset, ["-c", String(core), ...args]] : [args[0], args.slice(1)];

/**
 * Run bench_load_worker.ts in `mode` with `--flag value` for each of `flags` (in order); its last line
 * is JSON. The worker runs with V8's `--trace-gc`, and its GC pauses are added to the result
 * (`gc_pauses`, `gc_max_ms`, `gc_total_ms`): Deno reports no "gc" entries to a PerformanceObserver
 * (node:perf_hooks accepts the type and never calls back), so V8's own trace is the cheap way.
 */
async function runWorker(
  mode: "engine" | "closed" | "paced" | "real",
  flags: Record<string, string | number>,
): Promise<Record<string, number & number[]>> {
  const args = [`${here}bench_load_worker.ts`, "--mode", mode];
  for (const [flag, value] of Object.entries(flags)) args.push(`--${flag}`, String(value));
  // The real-site step prints no GC figures, and its times are the ones compared with hey's.
  const gcTrace = mode === "real" ? [] : ["--v8-flags=--trace-gc"];
  const command = [Deno.execPath(), "run", "--allow-all", ...gcTrace, ...args];
  // Not on a real site: its PHP and PostgreSQL run on both cores, and a generator held to one of them
  // waits there for the CPU as each answer arrives (+3.4 ms p50 against an unpinned hey, measured).
  const [cmd, rest] = mode === "real" ? [command[0], command.slice(1)] : pin(0, command);
  const resultFile = await Deno.makeTempFile({ prefix: "bench_load_worker_" });
  const output = await new Deno.Command(cmd, {
    args: rest,
    env: { BENCH_RESULT_FILE: resultFile },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const lines = new TextDecoder().decode(output.stdout).trim().split("\n");
  const pauses = lines.map((line) => GC_LINE.exec(line)).filter((m) => m !== null).map((m) => Number(m![1]));
  const text = await Deno.readTextFile(resultFile).finally(() => Deno.remove(resultFile));
  const stderr = new TextDecoder().decode(output.stderr).trim();
  if (stderr) console.error(stderr);
  if (!output.success || !text) throw new Error(`worker failed (exit ${output.code}): ${stderr.slice(-300)}`);
  return {
    ...JSON.parse(text),
    gc_pauses: pauses.length,
    gc_max_ms: Math.max(0, ...pauses),
    gc_total_ms: pauses.reduce((a, b) => a + b, 0),
  };
}

/** One `--trace-gc` line: "[pid:0x…] 77 ms: Scavenge 4.0 (5.0) -> 3.4 (5.5) MB, …, 1.15 / 0.00 ms …". */
const GC_LINE = /^\[\d+:0x[0-9a-f]+\]\s+\d+ ms: .*?, ([\d.]+) \/ [\d.]+ ms/;

// The target, in its own process on the other core.
const [targetCmd, targetArgs] = pin(1, [
  Deno.execPath(),
  "run",
  "--allow-net",
  `${here}bench_load_target.ts`,
]);
const target = new Deno.Command(targetCmd, { args: targetArgs, stdout: "piped", stderr: "inherit" }).spawn();
const reader = target.stdout.getReader();
const { value } = await reader.read();
const port = Number(new TextDecoder().decode(value).trim());
reader.releaseLock();
const url = `http://127.0.0.1:${port}/`;

/** The machine's 1-minute load average, for the header lines. */
const loadAverage = () => loadAverage1().toFixed(2);

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
const f = (n: number, digits = 1) => Number.isFinite(n) ? n.toFixed(digits) : "-";
const pad = (cells: (string | number)[], widths: number[]) =>
  cells.map((c, i) => String(c).padStart(widths[i])).join("  ");

/** `work` on a settled machine with the target's CPU counted as ours; repeated once when busy. */
const step = <T>(name: string, work: () => Promise<T>, othersAreTheTarget = false) =>
  quietStep(name, work, { livePids: [target.pid], othersAreTheTarget });

/** wrk, hey or autocannon closed-loop req/s on `target`, or a reason why not. */
async function toolRps(tool: string, target: string): Promise<number | string> {
  const npx = which("npx");
  const path = tool === "autocannon" ? npx : which(tool);
  if (!path) {
    return tool === "autocannon" ? "npx not installed" : `not installed (apt-get install -y ${tool})`;
  }
  const args = tool === "wrk"
    ? ["-t1", "-c64", `-d${seconds}s`, target]
    : tool === "hey"
    ? ["-c", "64", "-z", `${seconds}s`, target]
    : ["-y", AUTOCANNON, "--json", "-c", "64", "-d", String(seconds), target];
  const [cmd, rest] = pin(0, [path, ...args]);
  const output = await new Deno.Command(cmd, { args: rest, stdout: "piped", stderr: "piped" }).output();
  const out = new TextDecoder().decode(output.stdout);
  if (tool === "autocannon") {
    try {
      return JSON.parse(out.trim().split("\n").at(-1)!).requests.average;
    } catch {
      return `unreadable output (exit ${output.code})`;
    }
  }
  const match = /Requests\/sec:\s*([\d.]+)/.exec(out);
  return match ? Number(match[1]) : `unreadable output (exit ${output.code})`;
}

/** autocannon, pinned (npx fetches it once). */
const AUTOCANNON = "autocannon@9.0.0";

/**
 * The 200 KB page steps (goals: ≥ 0.9× the best plain-fetch loop's throughput, ≤ 1.15× its CPU; paced
 * 2k: < 0.5 %, ≤ 300 MB). The plain loops read the body each way Deno offers (arrayBuffer, bytes,
 * a reader loop, pipeTo a counting sink); the one with the least CPU per request is the yardstick.
 */
async function bigPage(): Promise<void> {
  const bigUrl = `${url}200k`;
  console.log(`\n200 KB page (${bigUrl}), ${seconds} s per closed-loop step, 64 loops:`);
  // Every way Deno offers to read a body, in plain-fetch loops: the best one is the yardstick.
  const plain: { read: string; rps: number; cpu: number; note: string }[] = [];
  for (const read of ["arrayBuffer", "bytes", "reader", "pipeTo"]) {
    const { result, note } = await step(
      `plain fetch + ${read}`,
      () => runWorker("closed", { url: bigUrl, seconds, read }),
    );
    plain.push({ read, rps: result.rps, cpu: result.cpu_us_per_request, note });
    console.log(
      `  plain fetch + ${read.padEnd(11)} ${f(result.rps, 0).padStart(6)} req/s, ` +
        `${f(result.cpu_us_per_request).padStart(6)} µs CPU/request (${note})`,
    );
  }
  const best = plain.reduce((a, b) => (b.cpu < a.cpu ? b : a));
  // MoodleUser against that yardstick in alternating rounds (ABBA, twice): one run of each apart moved
  // the ratio by ±0.3 on this shared VM; the ratio of the medians of four rounds each does not.
  const pairs = await step("MoodleUser vs plain (ABBA)", async () => {
    const moodleRuns: Record<string, number>[] = [];
    const plainRuns: Record<string, number>[] = [];
    for (const side of ["moodle", "plain", "plain", "moodle", "moodle", "plain", "plain", "moodle"]) {
      if (side === "moodle") {
        moodleRuns.push(await runWorker("closed", { url: bigUrl, seconds, user: "moodle" }));
      } else plainRuns.push(await runWorker("closed", { url: bigUrl, seconds, read: best.read }));
    }
    return { moodleRuns, plainRuns };
  });
  const { moodleRuns, plainRuns } = pairs.result;
  const m0 = {
    rps: median(moodleRuns.map((r) => r.rps)),
    cpu: median(moodleRuns.map((r) => r.cpu_us_per_request)),
    failed: moodleRuns.reduce((sum, r) => sum + r.failed, 0),
  };
  const p0 = {
    rps: median(plainRuns.map((r) => r.rps)),
    cpu: median(plainRuns.map((r) => r.cpu_us_per_request)),
  };
  const each = (runs: Record<string, number>[]) => runs.map((r) => f(r.cpu_us_per_request, 0)).join(" ");
  console.log(
    `  MoodleUser.get: ${f(m0.rps, 0)} req/s, ${f(m0.cpu)} µs CPU/request, failed ${m0.failed}; ` +
      `plain fetch + ${best.read}: ${f(p0.rps, 0)} req/s, ${
        f(p0.cpu)
      } µs (medians of 4 alternating rounds; ` +
      `CPU µs per round: MoodleUser ${each(moodleRuns)}, plain ${each(plainRuns)}; ${pairs.note})`,
  );
  console.log(
    `  MoodleUser / plain fetch + ${best.read} (least CPU): throughput ${f(m0.rps / p0.rps, 2)}x ` +
      `(goal ≥ 0.9), CPU/request ${f(m0.cpu / p0.cpu, 2)}x (goal ≤ 1.15)` +
      (/BUSY/.test(pairs.note) ? " — BUSY machine, not comparable" : ""),
  );
  for (const tool of ["wrk", "hey", "autocannon"]) {
    const { result, note } = await step(tool, () => toolRps(tool, bigUrl));
    console.log(
      typeof result === "string"
        ? `  ${tool}: skipped, ${result}`
        : `  ${tool}: ${f(result, 0)} req/s; MoodleUser / ${tool} = ${f(m0.rps / result, 2)} (${note})`,
    );
  }
  const pacedSeconds = quick ? 10 : 60;
  for (const [page, path] of [["plain", "200k"], ["gzip", "200k.gz"]]) {
    const paced = await step(
      `paced 2000 ${page}`,
      () => runWorker("paced", { url: `${url}${path}`, rps: 2000, seconds: pacedSeconds, user: "moodle" }),
    );
    const r = paced.result;
    console.log(
      `  paced 2000 req/s × ${pacedSeconds} s, MoodleUser, ${page}: achieved ${f(r.achieved_rps, 0)}, rate ` +
        `error ${f(r.rate_error_pct, 2)} % (goal < 0.5), not_sent ${r.not_sent}, failures ${r.failures}, ` +
        `RSS peak ${f(r.rss_peak_mb, 0)} MB (goal ≤ 300), RSS first/last third ${
          f(r.rss_first_third_mb, 0)
        }/` +
        `${f(r.rss_last_third_mb, 0)} MB (flat?), late p99 ${f(r.lateness_ms_p99, 2)} ms, latency p99 ` +
        `${f(r.latency_ms_p99, 2)} ms, ${f(r.cpu_us_per_request)} µs CPU/request${gcNote(r)} (${paced.note})`,
    );
  }
}

/**
 * Real-client agreement: one logged-in session on a real Moodle 4.3 page (the kit in ../shared/moodle,
 * started or reused as the tests do), moodle-load's service time against hey's on the same page with
 * the same session cookie. The two run at once, each at 2 req/s, hey half a period (250 ms) after
 * moodle-load, so their requests alternate and never overlap on the session's lock (the page takes
 * ~120 ms). Run one after the other, even in alternating 10 s rounds, they measured the page's own
 * drift (p50 moved 114 → 129 ms between rounds, more than the 1 ms asked for); alternating request by
 * request, both see the same site. ours from the engine's HDR histogram, hey's from its per-request
 * CSV. Goal: p50 and p95 within 1 ms or 2 %. Even so the site served one client's requests 1–4 ms
 * slower at p50 in some runs (nginx's own clock, 2026-12-03), more than the goal; so the kit's nginx
 * log is read too (bench_access_log.ts), and each client's own time, request by request, is what it
 * measured minus nginx's time for that request: the clients' difference without the site's.
 */
async function realClient(): Promise<void> {
  const { realMoodle } = await import("../tests/helpers/real_moodle.ts");
  const { site, availability } = await realMoodle();
  if (!site) return console.log(`\nreal Moodle: skipped, the kit did not start (${availability.reason})`);
  const page = `${site.base_url}/course/view.php?id=${site.main_course_id}`;
  // Each client's requests carry their own tag, so that nginx's log can tell them apart.
  const tagged = (client: string) => `${page}&client=${client}`;
  const accessLog = `${site.logs}/nginx-access.log`;
  const hey = which("hey");
  if (!hey) return console.log("\nreal Moodle: skipped, hey not installed (apt-get install -y hey)");
  const rps = 2;
  const realSeconds = quick ? 20 : 120;
  console.log(
    `\nreal Moodle ${site.moodle.release}: ${page}, one session, moodle-load and hey at once, ${rps} req/s ` +
      `each for ${realSeconds} s, alternating request by request (moodle-load leads for half the time, then hey):`,
  );
  const flags = {
    url: tagged("moodle-load"),
    base: site.base_url,
    // The admin: the test suite sets its students' passwords to passwords of its own.
    username: site.admin.username,
    password: site.admin.password,
    rps,
  };
  // One session for both, logged in and warmed first (not counted): Moodle builds per-session caches
  // on a session's first pages.
  const { cookie } = await runWorker("real", { ...flags, seconds: 5 }) as unknown as { cookie: string };
  // Two halves: moodle-load leads in the first, hey in the second (a phase of the 500 ms cycle that is
  // slower for the site, seen at 5–25 ms, then burdens both alike).
  const { result, note } = await step("moodle-load and hey on real Moodle", async () => {
    const logFrom = logOffset(accessLog);
    const ours = newHistogram();
    const theirs: number[] = [];
    const oursEach: number[] = [];
    let failures = 0;
    for (const oursLeads of [true, false]) {
      const startAtMs = Date.now() + 2000;
      const halfPeriodMs = 500 / rps;
      const oursRun = runWorker("real", {
        ...flags,
        seconds: realSeconds / 2,
        cookie,
        "start-at": startAtMs + (oursLeads ? 0 : halfPeriodMs),
      });
      await sleep(startAtMs + (oursLeads ? halfPeriodMs : 0) - Date.now());
      theirs.push(...await heyRun(hey, tagged("hey"), cookie, rps, realSeconds / 2));
      const r = await oursRun as unknown as {
        service_histogram: string;
        service_ms_each: number[];
        failures: number;
      };
      ours.add(decodeHistogram(r.service_histogram));
      oursEach.push(...r.service_ms_each);
      failures += r.failures;
    }
    return { ours, oursEach, theirs, failures, site: entriesSince(accessLog, logFrom) };
  }, true);
  const { ours } = result;
  const oursP = [percentileMs(ours, 50), percentileMs(ours, 95)];
  const theirsP = [exactPercentile(result.theirs, 50), exactPercentile(result.theirs, 95)];
  console.log(
    `  moodle-load service time p50 ${f(oursP[0], 1)} ms, p95 ${f(oursP[1], 1)} ms ` +
      `(${ours.totalCount} requests, ${result.failures} failed)\n` +
      `  hey                       p50 ${f(theirsP[0], 1)} ms, p95 ${f(theirsP[1], 1)} ms ` +
      `(${result.theirs.length} requests)\n` +
      `  difference p50 ${f(oursP[0] - theirsP[0], 1)} ms (${agree(oursP[0], theirsP[0])}), p95 ` +
      `${f(oursP[1] - theirsP[1], 1)} ms (${agree(oursP[1], theirsP[1])}); goal within 1 ms or 2 % (${note})`,
  );
  const clock = siteClock(result.site, ["moodle-load", "hey"], [result.oursEach, result.theirs]);
  console.log(clock.text);
  const [oursOwn, theirsOwn] = clock.own;
  if (oursOwn && theirsOwn) {
    // The same goal on the clients' own share: 1 ms or 2 % of hey's service time at that percentile.
    const d = [50, 95].map((p) => exactPercentile(oursOwn, p) - exactPercentile(theirsOwn, p));
    console.log(
      `    own time, moodle-load − hey: p50 ${f(d[0], 1)} ms (${agree(theirsP[0] + d[0], theirsP[0])}), ` +
        `p95 ${f(d[1], 1)} ms (${agree(theirsP[1] + d[1], theirsP[1])}): the clients' own difference, ` +
        `without the site's`,
    );
  }
  // The floor: the same harness with hey against hey (each leading half the time). A difference this
  // size says nothing about either client.
  const control = await step("hey and hey on real Moodle", async () => {
    const a: number[] = [];
    const b: number[] = [];
    const logFrom = logOffset(accessLog);
    const rounds = [[a, b, "hey-a", "hey-b"], [b, a, "hey-b", "hey-a"]] as const;
    for (const [leader, follower, leaderTag, followerTag] of rounds) {
      const first = heyRun(hey, tagged(leaderTag), cookie, rps, realSeconds / 4);
      await sleep(500 / rps);
      follower.push(...await heyRun(hey, tagged(followerTag), cookie, rps, realSeconds / 4));
      leader.push(...await first);
    }
    return { a, b, site: entriesSince(accessLog, logFrom) };
  }, true);
  const { a, b } = control.result;
  console.log(
    `  control, hey against hey (${a.length} requests each): difference p50 ` +
      `${f(exactPercentile(a, 50) - exactPercentile(b, 50), 1)} ms, p95 ` +
      `${f(exactPercentile(a, 95) - exactPercentile(b, 95), 1)} ms (${control.note})`,
  );
  const controlClock = siteClock(control.result.site, ["hey-a", "hey-b"], [a, b]);
  console.log(controlClock.text);
  const [ownA, ownB] = controlClock.own;
  if (ownA && ownB) {
    console.log(
      `    own time, hey-a − hey-b: p50 ${f(exactPercentile(ownA, 50) - exactPercentile(ownB, 50), 1)} ms, ` +
        `p95 ${f(exactPercentile(ownA, 95) - exactPercentile(ownB, 95), 1)} ms`,
    );
  }
}

/**
 * The site's own clock for the same requests (bench_access_log.ts): nginx's time and PHP's, p50 and
 * p95, per client; and each client's own time, request by request: what it measured minus nginx's
 * time for that very request (one connection per client, so the log's order is the client's). The
 * site's drift between the two clients' requests cancels out of that difference, which the clients'
 * own percentiles cannot do. Returns the lines to print and each client's own times (undefined when
 * its requests and log lines do not pair up).
 */
function siteClock(
  entries: AccessEntry[],
  clients: [string, string],
  measuredMs: number[][],
): { text: string; own: (number[] | undefined)[] } {
  const lines = [
    "  nginx's log for the same requests (rt = nginx's time, urt = PHP's; own = the client's time − rt):",
  ];
  const ms = (samples: number[], digits: number) =>
    `p50 ${f(exactPercentile(samples, 50), digits)}, p95 ${f(exactPercentile(samples, 95), digits)}`;
  const own = clients.map((client, i) => ownTimesMs(entries, client, measuredMs[i]));
  for (const [i, client] of clients.entries()) {
    const logged = entries.filter((entry) => entry.client === client);
    const ownText = own[i] ? `${ms(own[i], 1)} ms` : `- (${measuredMs[i].length} measured)`;
    lines.push(
      `    ${client.padEnd(12)} ${String(logged.length).padStart(4)} lines: ` +
        `rt ${ms(logged.map((entry) => entry.requestMs), 0)} ms; ` +
        `urt ${ms(logged.map((entry) => entry.upstreamMs), 0)} ms; own ${ownText}`,
    );
  }
  return { text: lines.join("\n"), own };
}

/** "met" when `a` is within 1 ms or 2 % of `b` (the real-client goal), else "missed". */
function agree(a: number, b: number): string {
  return Math.abs(a - b) <= Math.max(1, 0.02 * b) ? "met" : "missed";
}

/** hey: `rps` × `seconds` requests on one connection with `cookie`; each one's time in ms. */
async function heyRun(
  hey: string,
  page: string,
  cookie: string,
  rps: number,
  seconds: number,
): Promise<number[]> {
  const args = [
    "-n",
    String(rps * seconds),
    "-q",
    String(rps),
    "-c",
    "1",
    "-o",
    "csv",
    "-H",
    `Cookie: ${cookie}`,
    page,
  ];
  const output = await new Deno.Command(hey, { args, stdout: "piped", stderr: "piped" }).output();
  // CSV: response-time (s),DNS+dialup,DNS,Request-write,Response-delay,Response-read,status-code,offset
  const rows = new TextDecoder().decode(output.stdout).trim().split("\n").slice(1).map((line) =>
    line.split(",")
  );
  const bad = rows.filter((row) => row[6] !== "200").length;
  if (!output.success || rows.length === 0 || bad > 0) {
    throw new Error(`hey on the real Moodle: exit ${output.code}, ${rows.length} rows, ${bad} not 200`);
  }
  return rows.map((row) => Number(row[0]) * 1000);
}

/** The nearest-rank percentile of samples (as HDR's percentile: the value at or below which p % lie). */
function exactPercentile(samples: number[], percentile: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil(percentile / 100 * sorted.length) - 1)] ?? NaN;
}

/** GC pauses seen by the worker (PerformanceObserver "gc" where the runtime reports them). */
function gcNote(r: Record<string, number & number[]>): string {
  if (r.gc_pauses === undefined || r.gc_pauses < 0) return "; GC pauses: not reported by this runtime";
  return `; GC: ${r.gc_pauses} pauses, longest ${f(r.gc_max_ms, 1)} ms, total ${f(r.gc_total_ms, 0)} ms`;
}

try {
  console.log(
    `machine: ${cores} cores, ${Deno.build.os}/${Deno.build.arch}, Deno ${Deno.version.deno}; ` +
      `target ${url} (2 KB page)${taskset && cores > 1 ? "; generator on core 0, target on core 1" : ""}; ` +
      `${seconds} s per rate; ${new Date().toISOString()}; load average ${loadAverage()}`,
  );
  const only = Deno.env.get("BENCH_ONLY");
  if (only === "big" || only === "real") {
    await (only === "big" ? bigPage() : realClient());
    // Deno.exit skips `finally`: the target goes first (a live target kept the caller's pipe open).
    target.kill("SIGTERM");
    await target.status;
    Deno.exit(0);
  }
  const { result: alone, note: aloneNote } = await step(
    "engine alone",
    () => runWorker("engine", { seconds }),
  );
  console.log(
    `engine alone (instant in-process users, 50k req/s): ${f(alone.cpu_us_per_request, 2)} µs CPU/request, ` +
      `not_sent ${alone.not_sent}, lateness p99 ${f(alone.lateness_ms_p99, 2)} ms${
        gcNote(alone)
      } (${aloneNote})`,
  );
  const { result: ceiling, note: ceilingNote } = await step(
    "ceiling",
    () => runWorker("closed", { url, seconds }),
  );
  console.log(
    `closed-loop plain fetch (64 loops, the ceiling): ${f(ceiling.rps, 0)} req/s, ` +
      `${f(ceiling.cpu_us_per_request)} µs CPU/request, RSS ${f(ceiling.rss_mb)} MB (${ceilingNote})`,
  );
  const widths = [8, 9, 8, 9, 8, 9, 7, 9, 9, 11, 10, 10, 24];
  console.log(pad([
    "target",
    "achieved",
    "error %",
    "not_sent",
    "CPU µs",
    "vs fetch",
    "RSS MB",
    "late p50",
    "late p99",
    "latency p99",
    "svc p99",
    "GC max ms",
    "load average",
  ], widths));
  for (const rps of rates) {
    const { result: r, note } = await step(`paced ${rps}`, () => runWorker("paced", { url, rps, seconds }));
    console.log(pad([
      rps,
      f(r.achieved_rps, 0),
      f(r.rate_error_pct, 2),
      `${r.not_sent}`,
      f(r.cpu_us_per_request),
      `${f(r.cpu_us_per_request / ceiling.cpu_us_per_request, 2)}x`,
      f(r.rss_mb, 0),
      f(r.lateness_ms_p50, 2),
      f(r.lateness_ms_p99, 2),
      f(r.latency_ms_p99, 2),
      f(r.service_ms_p99, 2),
      f(r.gc_max_ms, 1),
      note.replace("load average ", ""),
    ], widths));
  }
  console.log(`load average after the paced runs: ${loadAverage()}`);
  console.log(
    "(achieved = sent / elapsed; error % = 1 − sent/intended; late = actual send − intended start;",
  );
  console.log(" latency = answer − intended start: the generator-added latency against this fast target;");
  console.log(
    " GC max = the longest V8 pause in the run, from --trace-gc; a row on a BUSY machine is repeated once;",
  );
  console.log(
    " load average = before → after the row (each row waits for < 0.5 first); others = other programs' CPU)",
  );
  for (const tool of ["wrk", "hey", "autocannon"]) {
    const { result, note } = await step(tool, () => toolRps(tool, url));
    console.log(
      typeof result === "string"
        ? `${tool}: skipped, ${result}`
        : `${tool} closed-loop: ${f(result, 0)} req/s; plain fetch ceiling / ${tool} = ${
          f(ceiling.rps / result, 2)
        } (${note})`,
    );
  }
  await bigPage();
  await realClient().catch((error) => console.log(`real Moodle: failed, ${error.message}`));
  if (soak > 0) {
    const r = await runWorker("paced", { url, rps: soakRps, seconds: soak, "rss-every": "30" });
    const series = r.rss_series_mb as number[];
    const steady = series.slice(1);
    const third = Math.max(1, Math.floor(steady.length / 3));
    const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
    const trend = (mean(steady.slice(-third)) / mean(steady.slice(0, third)) - 1) * 100;
    const range = (Math.max(...steady) - Math.min(...steady)) / mean(steady) * 100;
    console.log(
      `soak ${soakRps} rps × ${soak} s: RSS every 30 s (MB): ${series.map((v) => f(v, 0)).join(" ")}`,
    );
    console.log(
      `  RSS last third vs first third: ${trend >= 0 ? "+" : ""}${f(trend)} %; range ${
        f(range)
      } % of the mean; ` +
        `not_sent ${r.not_sent}`,
    );
  }
} finally {
  target.kill("SIGTERM");
  await target.status;
}
