/**
 * Memory per logged-in virtual user (figures, not a test): the demo site in its own process with N
 * users (default 10 000; `--quick` or BENCH_QUICK=1: 2 000), and in this process N real MoodleUsers
 * (one transport, one cookie jar each) logged in through the form 32 at a time, then 20 s of paced
 * page views at 200 req/s (`--quick`: 5 s). Prints RSS and V8 heap before, at the login phase's peak,
 * after it, and during the load, and the heap per user. Run with `--v8-flags=--expose-gc` for the
 * after-GC figures (bench.ts does).
 *
 *   deno run -A --v8-flags=--expose-gc scripts/bench_users.ts [--users 10000] [--page-bytes 2000]
 *
 * The measurement runs in a child process of its own (`--once`), so a repeat starts from a fresh
 * heap: it starts once the load average has settled below 0.5, and when the machine was busy all the
 * same (bench_quiet.ts) the figures are marked BUSY and the measurement is repeated once. Last, one line against the goals (RSS ≤ 100 MB steady after the
 * login phase, ≤ 150 MB peak).
 */
import { parseArgs } from "node:util";
import { quietStep } from "./bench_quiet.ts";
import { createTransport } from "../src/moodle/transport/create.ts";
import { createMoodleUser, type MoodleUser } from "../src/moodle/user.ts";
import { loginAll } from "../src/moodle/login_phase.ts";
import { runEngine } from "../src/engine/engine.ts";
import { constantSchedule } from "../src/engine/schedule.ts";
import { TargetPicker } from "../src/engine/targets.ts";
import { compileEndpoints } from "../src/config/endpoints.ts";
// From options.ts, not mod.ts: the demo server's code must not sit in the measured process.
import { DEFAULT_DEMO_PASSWORD } from "../src/demo/options.ts";

const quick = Deno.args.includes("--quick") || Deno.env.get("BENCH_QUICK") === "1";
const once = Deno.args.includes("--once");
/**
 * glibc serves Deno's 64 KB body-read buffers from its heap and keeps the freed memory: with
 * `MALLOC_MMAP_THRESHOLD_=65536` they are mmapped and given back on free (2,000 users: peak RSS 142
 * against 209 MB; 10,000: 205 against 270 MB). Both are measured.
 */
const ALLOCATORS: { name: string; env: Record<string, string> }[] = [
  { name: "default allocator", env: {} },
  { name: "MALLOC_MMAP_THRESHOLD_=65536", env: { MALLOC_MMAP_THRESHOLD_: "65536" } },
];
if (!once) {
  let status = 0;
  for (const allocator of ALLOCATORS) {
    console.log(`-- ${allocator.name}`);
    status ||= await repeatWhenBusy(allocator.env);
  }
  Deno.exit(status);
}

/**
 * Run the measurement in a child (`--once`) on a settled machine, again when the machine was busy
 * (bench_quiet.ts's `quietStep`); every attempt's lines are printed. Exit status.
 */
async function repeatWhenBusy(env: Record<string, string>): Promise<number> {
  type Figures = { rss_after_login_mb?: number; rss_peak_mb?: number };
  const { result: figures, note } = await quietStep("users", async (): Promise<Figures> => {
    const output = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-all", "--v8-flags=--expose-gc", import.meta.filename!, ...Deno.args, "--once"],
      env,
      stdout: "piped",
      stderr: "inherit",
    }).output();
    const lines = new TextDecoder().decode(output.stdout).trim().split("\n");
    for (const line of lines) if (!line.startsWith("{")) console.log(line);
    const figures = JSON.parse(lines.findLast((line) => line.startsWith("{")) ?? "{}");
    return output.success ? figures : {};
  });
  if (figures.rss_after_login_mb === undefined || figures.rss_peak_mb === undefined) return 1;
  console.log(
    `goals: RSS after the login phase ${figures.rss_after_login_mb.toFixed(0)} MB (goal ≤ 100, ` +
      `${figures.rss_after_login_mb <= 100 ? "met" : "missed"}), peak ${figures.rss_peak_mb.toFixed(0)} MB ` +
      `(goal ≤ 150, ${figures.rss_peak_mb <= 150 ? "met" : "missed"}); ${note}`,
  );
  return 0;
}

const { values } = parseArgs({
  args: Deno.args.filter((a) => a !== "--quick" && a !== "--once"),
  options: {
    users: { type: "string", default: quick ? "2000" : "10000" },
    "page-bytes": { type: "string", default: "2000" },
    seconds: { type: "string", default: quick ? "5" : "20" },
  },
});
const count = Number(values.users);
const gc = (globalThis as { gc?: () => void }).gc;
const mb = (bytes: number) => (bytes / 1e6).toFixed(1);
const loadAverage = () => Deno.readTextFileSync("/proc/loadavg").split(" ").slice(0, 3).join(" ");

function snapshot(what: string): { rss: number; heap: number } {
  gc?.();
  const { rss, heapUsed, heapTotal, external } = Deno.memoryUsage();
  console.log(
    `${what.padEnd(34)} RSS ${mb(rss).padStart(6)} MB   heap used ${mb(heapUsed).padStart(6)} MB, ` +
      `total ${mb(heapTotal).padStart(6)} MB, external ${mb(external).padStart(5)} MB`,
  );
  return { rss, heap: heapUsed };
}

const serverCode = `
import { startDemoServer } from "${new URL("../src/demo/mod.ts", import.meta.url).href}";
const users = Array.from({ length: ${count} }, (_, i) => ({ username: "u" + i, password: "${DEFAULT_DEMO_PASSWORD}" }));
const demo = await startDemoServer({ users, sitePath: "/moodle", pageBytes: ${
  Number(values["page-bytes"])
} });
console.log(demo.url);
`;
const child = new Deno.Command(Deno.execPath(), {
  args: ["eval", serverCode],
  stdout: "piped",
  stderr: "inherit",
}).spawn();
const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
const siteUrl = (await reader.read()).value!.trim();

console.log(
  `${count} users against the demo site (${values["page-bytes"]} B pages) at ${siteUrl}; ` +
    `load average ${loadAverage()}; ${new Date().toISOString()}${
      gc ? "" : " (no --expose-gc: figures before GC)"
    }`,
);
try {
  const before = snapshot("before the users");
  const transport = await createTransport();
  const users: MoodleUser[] = Array.from(
    { length: count },
    (_, i) =>
      createMoodleUser({ baseUrl: siteUrl, username: `u${i}`, password: DEFAULT_DEMO_PASSWORD, transport }),
  );
  let peak = 0;
  const sampler = setInterval(() => peak = Math.max(peak, Deno.memoryUsage().rss), 50);
  const started = performance.now();
  const outcomes = await loginAll(users, { concurrency: 32 });
  const loginSec = (performance.now() - started) / 1000;
  const ok = outcomes.filter((o) => o.ok).length;
  console.log(`logged in ${ok}/${count} in ${loginSec.toFixed(1)} s; peak RSS during logins ${mb(peak)} MB`);
  const loginPeak = peak;
  const after = snapshot("after the login phase");
  console.log(`heap per logged-in user: ${((after.heap - before.heap) / count / 1024).toFixed(2)} KB`);
  peak = 0;
  const seconds = Number(values.seconds);
  const endpoints = compileEndpoints(siteUrl, [{ path: "/my/" }, { path: "/course/view.php?id={id}" }], {
    id: { min: 2, max: 20 },
  });
  const result = await runEngine({
    schedule: constantSchedule(200 * 60, seconds),
    warmupSec: 0,
    users,
    picker: new TargetPicker(endpoints, users.length, 1),
    concurrency: 64,
    requestTimeoutMs: 10_000,
    graceMs: 5_000,
    progressSec: seconds + 1,
  });
  clearInterval(sampler);
  console.log(
    `paced 200 req/s for ${seconds} s: ${result.overall.total} requests, ${result.overall.failures} failures; ` +
      `peak RSS ${mb(peak)} MB`,
  );
  snapshot("after the load");
  console.log(`load average after: ${loadAverage()}`);
  console.log(JSON.stringify({
    rss_after_login_mb: after.rss / 1e6,
    rss_peak_mb: Math.max(loginPeak, peak) / 1e6,
  }));
  transport.close();
} finally {
  child.kill();
  await child.status;
}
