/**
 * `--ipm N`: journeys at N iterations per minute, beside urls at `--rpm` in one open-model schedule
 * (src/journey/mix.ts, src/engine/mixed_schedule.ts): on the fake clock, then through the CLI
 * against the demo site.
 */
import assert from "node:assert/strict";
import { runEngine } from "../src/engine/engine.ts";
import { constantSchedule, Schedule } from "../src/engine/schedule.ts";
import { MixedPicker, MixedSchedule } from "../src/engine/mixed_schedule.ts";
import { TargetPicker } from "../src/engine/targets.ts";
import { compileEndpoints } from "../src/config/endpoints.ts";
import type { Clock } from "../src/engine/clock.ts";
import type {
  JourneyIteration,
  JourneyRunner,
  JourneySpec,
  LoginOutcome,
  PageResult,
} from "../src/engine/types.ts";
import { mixRun } from "../src/journey/mix.ts";
import { ConfigSchema } from "../src/config/schema.ts";
import { runCli } from "./helpers/cli.ts";
import { withDemo } from "./helpers/demo.ts";
import { defaultDemoUsers } from "../src/demo/mod.ts";
import { demoRunConfig } from "../src/demo/config.ts";
import { presetJourney } from "../src/journey/presets.ts";

/** Time moves only when the test runs the timers, in order. */
class FakeClock implements Clock {
  t = 0;
  private seq = 0;
  private timers = new Map<number, { at: number; fn: () => void }>();
  now = () => this.t;
  epochMs = () => 1_700_000_000_000 + this.t;
  setTimer = (fn: () => void, delayMs: number) => {
    this.timers.set(++this.seq, { at: this.t + Math.max(0, delayMs), fn });
    return this.seq;
  };
  clearTimer = (id: unknown) => void this.timers.delete(id as number);
  async runAll(): Promise<void> {
    for (let guard = 0; guard < 1e6; guard++) {
      for (let k = 0; k < 6; k++) await Promise.resolve();
      let next: [number, { at: number; fn: () => void }] | undefined;
      for (const entry of this.timers) {
        if (!next || entry[1].at < next[1].at || (entry[1].at === next[1].at && entry[0] < next[0])) {
          next = entry;
        }
      }
      if (!next) return;
      this.timers.delete(next[0]);
      this.t = Math.max(this.t, next[1].at);
      next[1].fn();
    }
    throw new Error("fake clock: too many timers");
  }
}

/** Every step takes `serviceMs` of fake time; step() calls are recorded as [journey, step, time]. */
class StepRecorder implements JourneyRunner {
  readonly calls: [number, number, number][] = [];
  constructor(private clock: FakeClock, private serviceMs: number) {}
  begin(journey: number): JourneyIteration {
    return {
      step: (k) => {
        this.calls.push([journey, k, this.clock.t]);
        return new Promise((resolve) =>
          this.clock.setTimer(
            () =>
              resolve({
                status: 200,
                finalUrl: "http://x/",
                bytes: 1,
                sessionLost: false,
                thinkMs: 50,
                continueOnFail: false,
              }),
            this.serviceMs,
          )
        );
      },
    };
  }
}

const idleUser = (username: string) => ({
  username,
  loggedIn: true,
  login: (): Promise<LoginOutcome> => Promise.resolve({ ok: true, username, attempts: 1, durationMs: 0 }),
  get: (): Promise<PageResult> => Promise.reject(new Error("journeys never call get()")),
});

/** Two urls (one-step journeys) at `rpm` and one 3-step journey at `ipm`, for `durationSec`, on the fake clock. */
async function mixedRun(rpm: number, ipm: number, durationSec: number, seed: number) {
  const clock = new FakeClock();
  const specs: JourneySpec[] = [
    { name: "a", steps: [{ name: "a", path: "/a" }] },
    { name: "b", steps: [{ name: "b", path: "/b" }] },
    { name: "j", steps: ["j/1", "j/2", "j/3"].map((name) => ({ name, path: "/" })) },
  ];
  const endpoints = compileEndpoints("http://x", specs.map((s) => ({ path: "/", name: s.name })), {});
  const users = Array.from({ length: 20 }, (_, u) => idleUser(`u${u}`));
  const schedule = new MixedSchedule(constantSchedule(rpm + ipm, durationSec), rpm / (rpm + ipm));
  const runner = new StepRecorder(clock, 100);
  const run = runEngine({
    schedule,
    warmupSec: 0,
    users,
    picker: new MixedPicker(
      schedule,
      new TargetPicker(endpoints.slice(0, 2), users.length, seed),
      new TargetPicker(endpoints.slice(2), users.length, seed + 1),
    ),
    journeys: { specs, runner },
    concurrency: 20,
    requestTimeoutMs: 1000,
    graceMs: 5000,
    progressSec: 10,
    clock,
  });
  await clock.runAll();
  return { result: await run, calls: runner.calls };
}

Deno.test("fake clock --ipm: journeys start exactly on the ipm schedule, urls on the rpm schedule, in one run", async () => {
  const { result, calls } = await mixedRun(60, 20, 30, 7);
  // Times to the µs (the area of item i is i / share: float noise of 1e-12 ms).
  const starts = (urls: boolean) =>
    calls.filter(([journey, step]) => step === 0 && (journey < 2) === urls).map(([, , t]) =>
      Math.round(t * 1000) / 1000
    );
  // 20 per minute: one journey every 3 s, from 0 — as if it ran alone; 60 urls per minute: one a second.
  assert.deepEqual(starts(false), Array.from({ length: 10 }, (_, k) => k * 3000));
  assert.deepEqual(starts(true), Array.from({ length: 30 }, (_, i) => i * 1000));
  assert.equal(result.sent, 40);
  assert.equal(result.notSent, 0);
  assert.equal(result.journeys![2].started, 10);
  assert.equal(result.journeys![2].completed, 10);
  // Each journey: 3 steps of 100 ms with 50 ms think between: 400 ms from its intended start.
  assert.equal(calls.filter(([journey, step]) => journey === 2 && step === 2).length, 10);
  // Both urls are drawn (by weight, seeded); the same seed draws the same ones.
  const again = await mixedRun(60, 20, 30, 7);
  assert.deepEqual(again.calls, calls);
  assert.ok(new Set(calls.filter(([j]) => j < 2).map(([j]) => j)).size === 2);
});

Deno.test("MixedSchedule: a shaped curve keeps the ratio; counts and times agree", () => {
  const total = new Schedule([{ durationSec: 60, startRate: 0, endRate: 4 }]); // 120 items in all
  const mixed = new MixedSchedule(total, 0.75);
  assert.equal(mixed.urlCount, 90);
  assert.equal(mixed.journeyCount, 30);
  let previous = -1;
  let journeys = 0;
  for (let n = 0; n < mixed.totalCount; n++) {
    const t = mixed.timeOf(n);
    assert.ok(t >= previous, `item ${n} at ${t} after ${previous}`);
    previous = t;
    if (mixed.itemOf(n)!.kind === "journey") {
      // Journey k is due where the curve's area reaches k / 0.25: the journeys' own ramp.
      assert.ok(Math.abs(t - total.timeAtArea(journeys / 0.25)) < 1e-9, `journey ${journeys}`);
      journeys++;
    }
    assert.equal(mixed.countBefore(t + 1e-9) >= n + 1, true, `countBefore at item ${n}`);
  }
  assert.equal(journeys, 30);
  assert.equal(mixed.timeOf(mixed.totalCount), Infinity);
});

function config(input: Record<string, unknown>) {
  return ConfigSchema.parse({ base_url: "http://x", users: [{ username: "u", password: "p" }], ...input });
}

Deno.test("mixRun: what a config with urls and/or journeys runs at --rpm and --ipm, refusals in one line", () => {
  const journey = { name: "j", steps: [{ name: "s", path: "/" }] };
  const urls = [{ path: "/my/", name: "dashboard", weight: 3 }, {
    path: "/course/view.php?id=2",
    expect: [200],
  }];
  // Urls only: --rpm as always; --ipm refused.
  assert.equal(mixRun(config({ urls }), { rpm: 60 }).planRpm, 60);
  assert.throws(
    () => mixRun(config({ urls }), { ipm: 6 }),
    /--ipm N is the rate of journeys, and this run has none/,
  );
  // Journeys only: --ipm, or --rpm kept as iterations per minute; both refused.
  assert.equal(mixRun(config({ journeys: [journey] }), { ipm: 6 }).planRpm, 6);
  assert.equal(mixRun(config({ journeys: [journey] }), { rpm: 6 }).planRpm, 6);
  assert.throws(
    () => mixRun(config({ journeys: [journey] }), { rpm: 6, ipm: 6 }),
    /give its rate once, with --ipm/,
  );
  // --journey NAME replaces the config's urls: the same rules as journeys only.
  assert.equal(mixRun(config({ urls, journeys: [journey] }), { rpm: 6, preset: true }).urlShare, 0);
  // Both: one schedule at rpm + ipm; urls become one-step journeys sharing rpm / (rpm + ipm).
  assert.throws(() => mixRun(config({ urls, journeys: [journey] }), { rpm: 60 }), /give --ipm N/);
  assert.throws(
    () => mixRun(config({ urls, journeys: [journey], stages: [{ duration: "1m", rpm: 60 }] }), { ipm: 6 }),
    /need a constant url rate: give --rpm N/,
  );
  const mixed = mixRun(config({ urls, journeys: [journey], rpm: 54 }), { ipm: 6 });
  assert.equal(mixed.planRpm, 60);
  assert.equal(mixed.urlShare, 0.9);
  assert.deepEqual([...mixed.urlJourneys], ["dashboard", "/course/view.php?id=2"]);
  const [dashboard, course, j] = mixed.config.journeys!;
  assert.ok(Math.abs(dashboard.weight! - 0.675) < 1e-12 && Math.abs(course.weight! - 0.225) < 1e-12);
  assert.ok(Math.abs(j.weight! - 0.1) < 1e-12);
  assert.deepEqual(course.steps[0].check, { status: [200] });
  assert.deepEqual(mixed.config.urls, []);
});

Deno.test("run --rpm 600 --ipm 120 on the demo: exactly 50 page requests and 10 forum-post journeys, every reply stored", async () => {
  const users = defaultDemoUsers(10);
  await withDemo({ users, pageBytes: 2_000 }, async (demo) => {
    const dir = await Deno.makeTempDir({ prefix: "moodle_load_ipm_" });
    try {
      const base = demoRunConfig({ url: demo.url, users });
      await Deno.writeTextFile(
        `${dir}/config.json`,
        JSON.stringify({
          ...base,
          parameters: { ...base.parameters, discussion: { min: 1, max: 50 } },
          journeys: [presetJourney("forum-post")],
        }),
      );
      const run = (...flags: string[]) =>
        runCli(["run", "--config", `${dir}/config.json`, "--stats-dir", dir, "--duration", "5", ...flags]);
      const refused = await run("--rpm", "600");
      assert.equal(refused.code, 2);
      assert.match(refused.stderr, /the config has urls and journeys: give --ipm N/);
      const mixed = await run("--rpm", "600", "--ipm", "120", "--seed", "3", "--json", "--progress", "2");
      assert.equal(mixed.code, 0, mixed.stderr);
      const summary = JSON.parse(await Deno.readTextFile(JSON.parse(mixed.stdout).summary_file));
      const pages = summary.endpoints.filter((e: { name: string }) => !e.name.startsWith("forum-post/"));
      assert.deepEqual(pages.map((e: { name: string }) => e.name), [
        "dashboard",
        "course",
        "page",
        "forum",
        "discussion",
      ]);
      assert.equal(pages.reduce((sum: number, e: { total: number }) => sum + e.total, 0), 50);
      assert.deepEqual(summary.journeys.map((j: { name: string }) => j.name), ["forum-post"]);
      assert.equal(summary.journeys[0].started, 10);
      assert.equal(summary.journeys[0].completed, 10, JSON.stringify(summary.error_reasons));
      assert.equal(demo.counters.forumPosts, 10);
      assert.equal(summary.target_rpm, 720);
      // The tables (stderr under --json): off a terminal the live part is one compact line per interval
      // (a terminal shows the journey table under it); the end shows the journey table, and the
      // endpoint table names each row's journey ("-": a page of the urls).
      const [live, end] = mixed.stderr.split(/^Result +Value$/m);
      assert.match(live, /^Elapsed +Target +Rate +Total/m);
      assert.doesNotMatch(live, /^Journey /m);
      assert.match(end, /^Journey +Step +RPM +Total +Failures/m);
      assert.match(end, /^- +dashboard +\d+ /m);
      assert.match(end, /^forum-post +reply +\d+ +10 +0 /m);
      assert.match(end, /^forum-post +10 +10 +0 +0 +\d+\.\d\d +\d+\.\d\d +\d\.\d\d\/\d\.\d\d$/m);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
});

Deno.test("demo --ipm 60: the forum-post journey beside the demo's pages, exactly 3 iterations in 3 s", async () => {
  const dir = await Deno.makeTempDir({ prefix: "moodle_load_demo_ipm_" });
  try {
    const demo = await runCli([
      ...["demo", "--duration", "3", "--rpm", "300", "--ipm", "60", "--stats-dir", dir, "--json", "--quiet"],
    ]);
    assert.equal(demo.code, 0, demo.stderr);
    const summary = JSON.parse(demo.stdout);
    assert.deepEqual(
      summary.journeys.map((j: { name: string; started: number }) => [j.name, j.started]),
      [["forum-post", 3]],
    );
    const pages = summary.endpoints.filter((e: { name: string }) => !e.name.includes("/"));
    assert.equal(pages.reduce((sum: number, e: { total: number }) => sum + e.total, 0), 15);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
