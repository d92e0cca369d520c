/**
 * One measurement of bench_load.ts in its own process: `--mode paced --rps N --seconds S --url U`
 * (the real engine with plain-fetch users) or `--mode closed --connections C --seconds S --url U`
 * (plain fetch in a loop: the ceiling). `--user moodle` puts moodle-load's real MoodleUser path
 * (session, cookie jar, body reader, perf footer scan) behind either; `--read arrayBuffer|bytes|reader|pipeTo`
 * picks how a plain-fetch closed loop reads bodies. Prints one JSON line.
 */
import process from "node:process";
import { runEngine } from "../src/engine/engine.ts";
import { constantSchedule } from "../src/engine/schedule.ts";
import { TargetPicker } from "../src/engine/targets.ts";
import { compileEndpoints } from "../src/config/endpoints.ts";
import { PlainFetchUser } from "../src/moodle/plain_user.ts";
import { createMoodleUser } from "../src/moodle/user.ts";
import { createFetchTransport } from "../src/moodle/transport/fetch.ts";
import type { VirtualUser } from "../src/engine/types.ts";
import { encodeHistogram, percentileMs } from "../src/engine/histogram.ts";
import { sleep } from "../src/util/sleep.ts";

function arg(name: string, fallback?: string): string {
  const index = Deno.args.indexOf(`--${name}`);
  if (index >= 0) return Deno.args[index + 1];
  if (fallback === undefined) throw new Error(`--${name} missing`);
  return fallback;
}

const url = arg("url", "http://127.0.0.1:9/");
const seconds = Number(arg("seconds"));
const mode = arg("mode");
const userKind = arg("user", "fetch");
/** How a plain-fetch loop reads the body (`--read`): the options Deno offers. */
const readKind = arg("read", "arrayBuffer");

const readers: Record<string, (response: Response) => Promise<unknown>> = {
  arrayBuffer: (response) => response.arrayBuffer(),
  bytes: (response) => response.bytes(),
  reader: async (response) => {
    const reader = response.body!.getReader();
    for (let bytes = 0;;) {
      const { done, value } = await reader.read();
      if (done) return bytes;
      bytes += value.byteLength;
    }
  },
  pipeTo: (response) => {
    let bytes = 0;
    return response.body!.pipeTo(new WritableStream({ write: (chunk) => void (bytes += chunk.byteLength) }));
  },
};
const readBody = readers[readKind];
if (!readBody) throw new Error(`--read ${readKind}: one of ${Object.keys(readers).join(", ")}`);

/** MoodleUsers as `run` makes them (one shared transport), each holding a session cookie. */
function moodleUsers(count: number): VirtualUser[] {
  const transport = createFetchTransport();
  const origin = new URL(url).origin;
  return Array.from({ length: count }, (_, u) => {
    const user = createMoodleUser({ baseUrl: origin, username: `u${u}`, password: "p", transport });
    user.session.storeCookie(`MoodleSession=${crypto.randomUUID().replaceAll("-", "")}; path=/`, url);
    return user;
  });
}

/**
 * The result: one JSON line on stdout, or into BENCH_RESULT_FILE when set (bench_load.ts sets it, as
 * V8's --trace-gc lines share stdout and may cut into the line).
 */
function report(result: Record<string, unknown>): void {
  const file = Deno.env.get("BENCH_RESULT_FILE");
  if (file) Deno.writeTextFileSync(file, JSON.stringify(result));
  else console.log(JSON.stringify(result));
}

const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);

async function warm(): Promise<void> {
  for (let i = 0; i < 200; i++) await (await fetch(url)).arrayBuffer();
}

if (mode === "real") {
  // One logged-in MoodleUser on a real Moodle page, paced (`--rps`, `--seconds`): service time p50/p95,
  // and the session's Cookie header for an independent client (hey) to send the same requests.
  const base = arg("base");
  const transport = createFetchTransport();
  const user = createMoodleUser({
    baseUrl: base,
    username: arg("username"),
    password: arg("password"),
    transport,
  });
  // `--cookie`: the session of an earlier round (the rounds of bench_load.ts share one session, as
  // hey does: Moodle builds per-session caches on a session's first pages, and a fresh session per
  // round would make its first requests slower than the other client's).
  const cookie = arg("cookie", "");
  if (cookie) user.session.storeCookie(`${cookie}; path=/`, base);
  else {
    const login = await user.login();
    if (!login.ok) throw new Error(`login failed: ${login.reason} ${login.detail ?? ""}`);
  }
  // Each request's time in order, to be set beside the site's own time for the same request (the
  // kit's nginx log): the engine's histogram keeps no order. Timed as the engine times: from the call to
  // the answer's last byte.
  const eachMs: number[] = [];
  const get = user.get.bind(user);
  user.get = async (target, options) => {
    const startMs = performance.now();
    const page = await get(target, options);
    eachMs.push((page.receivedMs ?? performance.now()) - startMs);
    return page;
  };
  const rps = Number(arg("rps"));
  // `--start-at`: epoch ms to begin pacing at, so that another client can be started half a period later.
  const startAtMs = Number(arg("start-at", "0"));
  await sleep(startAtMs - Date.now());
  const result = await runEngine({
    schedule: constantSchedule(rps * 60, seconds),
    warmupSec: 0,
    users: [user],
    picker: new TargetPicker(
      compileEndpoints(base, [{ path: new URL(url).pathname + new URL(url).search }], {}),
      1,
      1,
    ),
    concurrency: 1,
    requestTimeoutMs: 10_000,
    graceMs: 5_000,
    progressSec: seconds + 1,
  });
  report({
    mode,
    requests: result.overall.total,
    failures: result.overall.failures,
    service_ms_p50: percentileMs(result.overall.service, 50),
    service_ms_p95: percentileMs(result.overall.service, 95),
    service_histogram: encodeHistogram(result.overall.service),
    service_ms_each: eachMs,
    cookie: user.session.cookieHeader(url),
  });
} else if (mode === "engine") {
  // The engine alone: users answer at once (no socket), so only scheduling and accounting cost CPU.
  const rps = Number(arg("rps", "50000"));
  const answer = { status: 200, finalUrl: url, bytes: 2048, sessionLost: false };
  const users = Array.from({ length: 64 }, (_, u) => {
    const user = new PlainFetchUser(`u${u}`);
    user.get = () => Promise.resolve(answer);
    return user;
  });
  const endpoints = compileEndpoints(url, [{ path: "/a?id={id}", weight: 3 }, { path: "/b" }], {
    id: { min: 1, max: 1000 },
  });
  const cpu0 = process.cpuUsage();
  const result = await runEngine({
    schedule: constantSchedule(rps * 60, seconds),
    warmupSec: 0,
    users,
    picker: new TargetPicker(endpoints, users.length, 1),
    concurrency: 64,
    requestTimeoutMs: 10_000,
    graceMs: 1_000,
    progressSec: 1,
  });
  const cpu = process.cpuUsage(cpu0);
  report({
    mode,
    target_rps: rps,
    sent: result.sent,
    not_sent: result.notSent,
    cpu_us_per_request: (cpu.user + cpu.system) / Math.max(1, result.sent),
    lateness_ms_p99: percentileMs(result.lateness, 99),
  });
} else if (mode === "closed") {
  const connections = Number(arg("connections", "64"));
  await warm();
  const cpu0 = process.cpuUsage();
  const start = performance.now();
  const end = start + seconds * 1000;
  let done = 0;
  let failed = 0;
  const users = userKind === "moodle" ? moodleUsers(connections) : [];
  await Promise.all(Array.from({ length: connections }, async (_, c) => {
    while (performance.now() < end) {
      if (userKind === "moodle") {
        const page = await users[c].get(url);
        if (page.errorClass || (page.perf === undefined && url.endsWith("/200k"))) failed++;
      } else await readBody(await fetch(url));
      done++;
    }
  }));
  const elapsed = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpu0);
  report({
    mode,
    user: userKind,
    read: readKind,
    failed,
    rps: done / elapsed,
    cpu_us_per_request: (cpu.user + cpu.system) / done,
    rss_mb: Deno.memoryUsage().rss / 1e6,
  });
} else {
  const rps = Number(arg("rps"));
  const users = Number(arg("users", "64"));
  const concurrency = Number(arg("concurrency", "64"));
  const rssEvery = Number(arg("rss-every", "0"));
  await warm();
  const endpoints = compileEndpoints(url, [{ path: "/" }], {});
  const pool = userKind === "moodle"
    ? moodleUsers(users)
    : Array.from({ length: users }, (_, u) => new PlainFetchUser(`u${u}`, undefined, false));
  let peakRss = 0;
  const rssSamples: number[] = [];
  const sampler = setInterval(() => {
    const now = Deno.memoryUsage().rss;
    rssSamples.push(now / 1e6);
    peakRss = Math.max(peakRss, now);
  }, 250);
  const rss: number[] = [];
  const cpu0 = process.cpuUsage();
  const result = await runEngine({
    schedule: constantSchedule(rps * 60, seconds),
    warmupSec: 0,
    users: pool,
    picker: new TargetPicker(endpoints, users, 1),
    concurrency,
    requestTimeoutMs: 10_000,
    graceMs: 5_000,
    progressSec: rssEvery > 0 ? rssEvery : seconds + 1,
    onInterval: () => rss.push(Deno.memoryUsage().rss / 1e6),
  });
  const cpu = process.cpuUsage(cpu0);
  clearInterval(sampler);
  const completed = result.overall.total;
  const intended = result.sent + result.notSent;
  report({
    mode,
    target_rps: rps,
    intended,
    sent: result.sent,
    completed,
    achieved_rps: result.sent / result.elapsedSec,
    rate_error_pct: (1 - result.sent / intended) * 100,
    not_sent: result.notSent,
    not_sent_pct: result.notSent / intended * 100,
    failures: result.overall.failures,
    cpu_us_per_request: (cpu.user + cpu.system) / Math.max(1, completed),
    rss_mb: Deno.memoryUsage().rss / 1e6,
    rss_peak_mb: Math.max(peakRss, Deno.memoryUsage().rss) / 1e6,
    rss_series_mb: rss,
    // Flat or growing: the mean RSS of the run's first and last thirds (sampled every 250 ms).
    rss_first_third_mb: mean(rssSamples.slice(0, Math.max(1, Math.floor(rssSamples.length / 3)))),
    rss_last_third_mb: mean(rssSamples.slice(-Math.max(1, Math.floor(rssSamples.length / 3)))),
    lateness_ms_p50: percentileMs(result.lateness, 50),
    lateness_ms_p99: percentileMs(result.lateness, 99),
    latency_ms_p99: percentileMs(result.overall.latency, 99),
    service_ms_p99: percentileMs(result.overall.service, 99),
    max_in_flight: result.maxInFlight,
  });
}
