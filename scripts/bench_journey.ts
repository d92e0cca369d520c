/**
 * The engine's cost per journey step against a plain page request (figures, not a test), in one
 * process against one demo server (scripts/demo_server.ts in its own process, on the second core
 * when `taskset` exists): the real engine (runEngine, real clock) with real Moodle users logged in
 * to the demo, at the same request rate in each variant, alternated for a few rounds:
 *
 * - plain:        single GETs of a course page (the seed's `urls` path);
 * - journey GET:  a journey of 3 GETs of that page kind (no think time): the journey machinery
 *                 (runner, templates, step dispatch) over the same protocol work;
 * - forum-post:   the built-in journey (discussion → reply form → posting the form): the whole page
 *                 kept, the form parsed (cheerio) and the reply posted — what a realistic step costs.
 *
 * CPU is this process's user + system time over each run, divided by the requests (or steps) it
 * sent; the lowest of the rounds is the cost (the machine may be shared). The load average is
 * printed before and after.
 *
 *   deno run -A scripts/bench_journey.ts     (BENCH_QUICK=1: 3 s per variant; BENCH_SECONDS=N; BENCH_RPS=N)
 */
import process from "node:process";
import { runEngine } from "../src/engine/engine.ts";
import { constantSchedule } from "../src/engine/schedule.ts";
import { TargetPicker } from "../src/engine/targets.ts";
import { compileEndpoints } from "../src/config/endpoints.ts";
import { type Config, ConfigSchema, type Journey } from "../src/config/schema.ts";
import { moodleBackend } from "../src/moodle/backend.ts";
import { demoRunConfig } from "../src/demo/config.ts";
import { defaultDemoUsers } from "../src/demo/mod.ts";
import { journeyRunner, journeySetup } from "../src/journey/setup.ts";
import { presetJourney } from "../src/journey/presets.ts";
import type { VirtualUser } from "../src/engine/types.ts";
import { percentileMs } from "../src/engine/histogram.ts";

const quick = Deno.env.get("BENCH_QUICK") === "1";
const seconds = Number(Deno.env.get("BENCH_SECONDS") ?? (quick ? 3 : 10));
const rps = Number(Deno.env.get("BENCH_RPS") ?? 150);
const rounds = quick ? 2 : 3;
const USERS = 32;
const PAGE = "/course/view.php?id={courseid}";

function which(tool: string): string | undefined {
  for (const dir of (Deno.env.get("PATH") ?? "").split(":")) {
    try {
      if (Deno.statSync(`${dir}/${tool}`).isFile) return `${dir}/${tool}`;
    } catch { /* not here */ }
  }
  return undefined;
}

// The demo server in its own process (second core), pages of 20 KB, no added latency.
const taskset = which("taskset");
const serverArgs = [
  "run",
  "--allow-net=127.0.0.1",
  "--allow-read",
  new URL("demo_server.ts", import.meta.url).pathname,
  ...["--page-bytes", "20000", "--users", String(USERS), "--site-path", "/moodle", "--error-rate", "0"],
];
const server = new Deno.Command(taskset && navigator.hardwareConcurrency > 1 ? taskset : Deno.execPath(), {
  args: taskset && navigator.hardwareConcurrency > 1
    ? ["-c", "1", Deno.execPath(), ...serverArgs]
    : serverArgs,
  stdout: "piped",
  stderr: "inherit",
}).spawn();
const lines = server.stdout.pipeThrough(new TextDecoderStream()).getReader();
const url = /Demo Moodle at (\S+?)\/\s/.exec((await lines.read()).value ?? "")?.[1];
if (!url) throw new Error("the demo server did not start");

const base = demoRunConfig({ url, users: defaultDemoUsers(USERS) });
const config: Config = ConfigSchema.parse({
  ...base,
  parameters: { ...base.parameters, discussion: { min: 1, max: 200 } },
});
const pool = await moodleBackend.createUsers(config, {
  insecure: false,
  loginTimeoutMs: 20_000,
  requestTimeoutMs: 30_000,
  maxRetries: 1,
  compression: true,
});
const outcomes = await moodleBackend.loginAll(pool.users, { concurrency: 8 });
const users: VirtualUser[] = pool.users.filter((_, k) => outcomes[k]?.ok);
if (users.length !== USERS) throw new Error(`only ${users.length} of ${USERS} users logged in`);

const pageJourney: Journey = ConfigSchema.parse({
  ...config,
  journeys: [{ name: "pages", steps: ["a", "b", "c"].map((name) => ({ name, path: PAGE })) }],
}).journeys![0];
// The preset without its think times: the same request rate as the others.
const forumPost: Journey = {
  ...presetJourney("forum-post")!,
  steps: presetJourney("forum-post")!.steps.map(({ think_time_ms: _, ...step }) => step),
};

interface Variant {
  name: string;
  /** Requests (steps) per scheduled item. */
  stepsPerItem: number;
  run: (durationSec: number) => ReturnType<typeof runEngine>;
}

const engineDefaults = {
  warmupSec: 0,
  users,
  concurrency: USERS,
  requestTimeoutMs: 30_000,
  graceMs: 10_000,
  progressSec: 3600,
};

function plainVariant(): Variant {
  const endpoints = compileEndpoints(config.base_url, [{ path: PAGE }], config.parameters, {
    usernames: users.map((u) => u.username),
    pools: config.pools,
  });
  return {
    name: "plain page request",
    stepsPerItem: 1,
    run: (durationSec) =>
      runEngine({
        ...engineDefaults,
        schedule: constantSchedule(rps * 60, durationSec),
        picker: new TargetPicker(endpoints, users.length, 1),
      }),
  };
}

function journeyVariant(name: string, journey: Journey): Variant {
  const withJourney = { ...config, journeys: [journey] };
  const setup = journeySetup(withJourney)!;
  return {
    name,
    stepsPerItem: journey.steps.length,
    run: (durationSec) =>
      runEngine({
        ...engineDefaults,
        schedule: constantSchedule((rps * 60) / journey.steps.length, durationSec),
        picker: new TargetPicker(setup.pickerEndpoints, users.length, 1),
        journeys: {
          specs: setup.specs,
          runner: journeyRunner(setup, withJourney, users, { seed: 1, requestTimeoutMs: 30_000 }),
        },
      }),
  };
}

const variants = [
  plainVariant(),
  journeyVariant("journey step (GET)", pageJourney),
  journeyVariant("forum-post step", forumPost),
];
const best = new Map<string, { cpuUs: number; sent: number; failures: number; p50: number }>();
const load = () => Deno.loadavg().map((x) => x.toFixed(2)).join(" ");
console.log(
  `demo ${url}, ${USERS} users, ${rps} requests/s in every variant, ${seconds} s each, ${rounds} rounds; ` +
    `load average ${load()}`,
);
for (const variant of variants) await variant.run(1); // warm-up: JIT, connections, sessions
for (let round = 0; round < rounds; round++) {
  for (const variant of variants) {
    const before = process.cpuUsage();
    const result = await variant.run(seconds);
    const cpu = process.cpuUsage(before);
    const cpuUs = (cpu.user + cpu.system) / Math.max(1, result.overall.total);
    const previous = best.get(variant.name);
    if (!previous || cpuUs < previous.cpuUs) {
      best.set(variant.name, {
        cpuUs,
        sent: result.overall.total,
        failures: result.overall.failures,
        p50: percentileMs(result.overall.latency, 50),
      });
    }
  }
}
const plain = best.get(variants[0].name)!.cpuUs;
console.log(`best of ${rounds} rounds (lowest CPU per request); load average after ${load()}`);
console.log(
  `${"variant".padEnd(22)} ${"requests".padStart(8)} ${"failed".padStart(6)} ${"p50 ms".padStart(7)} ` +
    `${"µs CPU/req".padStart(10)}  vs plain`,
);
for (const [name, figure] of best) {
  console.log(
    `${name.padEnd(22)} ${String(figure.sent).padStart(8)} ${String(figure.failures).padStart(6)} ` +
      `${figure.p50.toFixed(1).padStart(7)} ${figure.cpuUs.toFixed(0).padStart(10)}  ${
        (figure.cpuUs / plain).toFixed(2)
      }×`,
  );
}
pool.close();
server.kill("SIGINT");
await server.status;
