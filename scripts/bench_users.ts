/**
 * Memory per logged-in virtual user (figures, not a test): the demo site in its own process with N
 * users (default 10 000; `--quick` or BENCH_QUICK=1: 2 000), and in this process N real MoodleUsers
 * (one transport, one cookie jar each) logged in through the form 32 at a time, then 20 s of paced
 * page views at 200 req/s (`--quick`: 5 s). Prints RSS and V8 heap before, at the login phase's peak,
 * after it, and during the load, and the heap per user. Run with `--v8-flags=--expose-gc` for the
 * after-GC figures (bench.ts does).
 *
 *   deno run -A --v8-flags=--expose-gc scripts/bench_users.ts [--users 10000] [--page-bytes 2000]
 */
import { parseArgs } from "node:util";
import { createTransport } from "../src/moodle/transport/create.ts";
import { createMoodleUser, type MoodleUser } from "../src/moodle/user.ts";
import { loginAll } from "../src/moodle/login_phase.ts";
import { runEngine } from "../src/engine/engine.ts";
import { constantSchedule } from "../src/engine/schedule.ts";
import { TargetPicker } from "../src/engine/targets.ts";
import { compileEndpoints } from "../src/config/endpoints.ts";
import { DEFAULT_DEMO_PASSWORD } from "../src/demo/mod.ts";

const quick = Deno.args.includes("--quick") || Deno.env.get("BENCH_QUICK") === "1";
const { values } = parseArgs({
  args: Deno.args.filter((a) => a !== "--quick"),
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
  transport.close();
} finally {
  child.kill();
  await child.status;
}
