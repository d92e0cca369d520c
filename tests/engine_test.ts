import assert from "node:assert/strict";
import {
  type Clock,
  type EngineOptions,
  type EngineResult,
  type IntervalReport,
  runEngine,
  type TimelinePoint,
} from "../src/engine/engine.ts";
import { constantSchedule, Schedule, withWarmup } from "../src/engine/schedule.ts";
import { TargetPicker } from "../src/engine/targets.ts";
import { compileEndpoints } from "../src/config/endpoints.ts";
import type {
  JourneyIteration,
  JourneyRunner,
  JourneySpec,
  LoginOutcome,
  PageResult,
  VirtualUser,
} from "../src/engine/types.ts";
import { PlainFetchUser } from "../src/moodle/plain_user.ts";
import { percentileMs } from "../src/engine/histogram.ts";
import { withServer } from "./helpers/server.ts";

/** A clock whose time only moves when the test says so; timers fire in order. */
class FakeClock implements Clock {
  t = 0;
  private seq = 0;
  private timers = new Map<number, { at: number; seq: number; fn: () => void }>();
  now = () => this.t;
  epochMs = () => 1_700_000_000_000 + this.t;
  setTimer = (fn: () => void, delayMs: number) => {
    const id = ++this.seq;
    this.timers.set(id, { at: this.t + Math.max(0, delayMs), seq: id, fn });
    return id;
  };
  clearTimer = (id: unknown) => void this.timers.delete(id as number);

  /** Run timers until none is left or `limitMs` is reached, letting promises settle between. */
  async runAll(limitMs = 1e9): Promise<void> {
    for (let guard = 0; guard < 1e6; guard++) {
      for (let k = 0; k < 6; k++) await Promise.resolve();
      let next: [number, { at: number; seq: number; fn: () => void }] | undefined;
      for (const entry of this.timers) {
        if (!next || entry[1].at < next[1].at || (entry[1].at === next[1].at && entry[1].seq < next[1].seq)) {
          next = entry;
        }
      }
      if (!next || next[1].at > limitMs) return;
      this.timers.delete(next[0]);
      this.t = Math.max(this.t, next[1].at);
      next[1].fn();
    }
    throw new Error("fake clock: too many timers");
  }
}

/** A user whose every request takes `serviceMs` of fake time; records its concurrency. */
class FakeUser implements VirtualUser {
  loggedIn = true;
  inFlight = 0;
  maxInFlight = 0;
  logins = 0;
  sessionLostOnCall = -1;
  /** More calls (numbered from 0) that land on the login page. */
  sessionLostOnCalls = new Set<number>();
  calls = 0;
  loginMs = 1;
  constructor(readonly username: string, private clock: FakeClock, private serviceMs: number) {}
  login(): Promise<LoginOutcome> {
    this.logins++;
    return new Promise((resolve) =>
      this.clock.setTimer(
        () => resolve({ ok: true, username: this.username, attempts: 1, durationMs: this.loginMs }),
        this.loginMs,
      )
    );
  }
  get(url: string): Promise<PageResult> {
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    const call = this.calls++;
    return new Promise((resolve) =>
      this.clock.setTimer(() => {
        this.inFlight--;
        const lost = call === this.sessionLostOnCall || this.sessionLostOnCalls.has(call);
        resolve({
          status: 200,
          finalUrl: lost ? "http://x/login/index.php" : url,
          bytes: 1000,
          sessionLost: lost,
        });
      }, this.serviceMs)
    );
  }
}

/** HDR values carry 3 significant digits: compare within 0.1 %. */
function near(actual: number, expected: number, message = ""): void {
  assert.ok(
    Math.abs(actual - expected) <= Math.max(0.002, expected * 0.001),
    `${message} ${actual} ≉ ${expected}`,
  );
}

const ENDPOINTS = compileEndpoints("http://x", [{ path: "/a" }, { path: "/b?id={id}", weight: 3 }], {
  id: { min: 1, max: 9 },
});

/**
 * Runs the engine on the fake clock to its end: no warm-up, 1 s request timeout and grace, one
 * progress interval per 10 s and ENDPOINTS picked with `seed`, unless `options` says otherwise.
 */
async function runOnFakeClock(
  clock: FakeClock,
  users: VirtualUser[],
  seed: number,
  options: Pick<EngineOptions, "schedule" | "concurrency"> & Partial<EngineOptions>,
): Promise<EngineResult> {
  const run = runEngine({
    warmupSec: 0,
    users,
    picker: new TargetPicker(ENDPOINTS, users.length, seed),
    requestTimeoutMs: 1000,
    graceMs: 1000,
    progressSec: 10,
    clock,
    ...options,
  });
  await clock.runAll();
  return await run;
}

Deno.test("fake clock: every request goes out exactly at its intended start; latency = service", async () => {
  const clock = new FakeClock();
  const users = Array.from({ length: 10 }, (_, u) => new FakeUser(`u${u}`, clock, 5));
  const intervals: IntervalReport[] = [];
  const result = await runOnFakeClock(clock, users, 1, {
    schedule: constantSchedule(6000, 1), // 100 req/s for 1 s
    concurrency: 10,
    progressSec: 0.25,
    onInterval: (r) => intervals.push({ ...r, stats: r.stats.counts() as never }),
  });
  assert.equal(result.sent, 100);
  assert.equal(result.overall.total, 100);
  assert.equal(result.overall.success, 100);
  assert.equal(result.notSent, 0);
  assert.equal(result.late, 0);
  assert.equal(result.lateness.maxValue, 0);
  near(percentileMs(result.overall.latency, 100), 5);
  near(percentileMs(result.overall.service, 50), 5);
  assert.equal(result.elapsedSec, 1);
  assert.equal(result.targetRpm, 6000);
  assert.equal(result.endpoints[0].total + result.endpoints[1].total, 100);
  for (const user of users) assert.ok(user.maxInFlight <= 1, "one request per user at a time");
  // 4 intervals of 0.25 s (the last answer comes at 995 ms: no drain interval).
  assert.deepEqual(intervals.map((r) => r.intervalSec), [0.25, 0.25, 0.25, 0.25]);
  assert.deepEqual(intervals.map((r) => (r.stats as unknown as { total: number }).total), [25, 25, 25, 25]);
  assert.deepEqual(intervals.map((r) => r.targetRpm), [6000, 6000, 6000, 6000]);
});

Deno.test("fake clock: a full concurrency cap makes requests wait; latency counts from the intended start", async () => {
  const clock = new FakeClock();
  const users = Array.from({ length: 4 }, (_, u) => new FakeUser(`u${u}`, clock, 50));
  const result = await runOnFakeClock(clock, users, 2, {
    schedule: constantSchedule(6000, 1), // due every 10 ms
    concurrency: 1, // one at a time, 50 ms each: sends at 0, 50, …, 950
  });
  assert.equal(result.sent, 20);
  assert.equal(result.notSent, 80);
  assert.equal(result.late, 19); // all but the first went out more than 10 ms late
  // Request k is due at 10k ms, sent at 50k ms, answered at 50k + 50: latency 40k + 50.
  near(percentileMs(result.overall.latency, 100), 40 * 19 + 50);
  near(percentileMs(result.overall.latency, 0), 50);
  near(percentileMs(result.overall.service, 100), 50);
  near(percentileMs(result.lateness, 100), 40 * 19);
  assert.equal(result.maxInFlight, 1);
});

Deno.test("fake clock: users bound the run — never two requests on one user", async () => {
  const clock = new FakeClock();
  const users = Array.from({ length: 2 }, (_, u) => new FakeUser(`u${u}`, clock, 30));
  const result = await runOnFakeClock(clock, users, 3, {
    schedule: constantSchedule(6000, 1),
    concurrency: 50,
  });
  for (const user of users) assert.equal(user.maxInFlight, 1);
  assert.equal(result.maxInFlight, 2);
  // Two users, 30 ms each: sends at 0,0(10),30,40,60,70,… → 2 per 30 ms → 67 in 1 s.
  assert.ok(result.sent >= 64 && result.sent <= 68, String(result.sent));
  assert.equal(result.sent + result.notSent, 100);
});

Deno.test("fake clock: warm-up runs at rate but is excluded; session loss re-logs the user in", async () => {
  const clock = new FakeClock();
  const users = Array.from({ length: 5 }, (_, u) => new FakeUser(`u${u}`, clock, 2));
  users[0].sessionLostOnCall = 12;
  const intervals: IntervalReport[] = [];
  const result = await runOnFakeClock(clock, users, 4, {
    schedule: new Schedule(withWarmup(0.5, 6000, constantSchedule(6000, 1).segments)),
    warmupSec: 0.5,
    concurrency: 5,
    progressSec: 0.4,
    onInterval: (r) => intervals.push({ ...r }),
  });
  assert.equal(result.warmup.total, 50);
  assert.equal(result.sent, 100);
  assert.equal(result.overall.total, 100);
  assert.equal(result.elapsedSec, 1);
  assert.equal(result.relogins, 1);
  assert.equal(users[0].logins, 1);
  assert.equal(result.overall.counts().errors.session_lost, 1);
  assert.equal(result.overall.success + result.warmup.success, 149);
  // Intervals: warm-up 0.4 + 0.1 (cut at the boundary), then 0.4, 0.4, 0.2 (no drain: all answered).
  assert.deepEqual(intervals.map((r) => [r.warmup, Math.round(r.tSec * 1000)]), [
    [true, -100],
    [true, 0],
    [false, 400],
    [false, 800],
    [false, 1000],
  ]);
});

Deno.test("fake clock: a mass session loss re-logs users in, at most reloginConcurrency at a time", async () => {
  const clock = new FakeClock();
  const users = Array.from({ length: 6 }, (_, u) => new FakeUser(`u${u}`, clock, 20));
  let active = 0;
  let maxActive = 0;
  for (const user of users) {
    user.sessionLostOnCall = 1; // every user's second request lands on the login page
    user.loginMs = 100;
    const login = user.login.bind(user);
    user.login = async () => {
      maxActive = Math.max(maxActive, ++active);
      const outcome = await login();
      active--;
      return outcome;
    };
  }
  const result = await runOnFakeClock(clock, users, 6, {
    schedule: constantSchedule(6000, 1),
    concurrency: 6,
    reloginConcurrency: 2,
  });
  assert.equal(result.relogins, 6);
  assert.equal(maxActive, 2);
  assert.equal(result.overall.counts().errors.session_lost, 6);
  assert.equal(result.overall.total + result.notSent, 100);
});

Deno.test("fake clock: the time line's re-logins per second sit in their seconds and add up to the run's", async () => {
  const clock = new FakeClock();
  const user = new FakeUser("u0", clock, 2);
  // 10 requests a second on one user: call k is due at k × 100 ms; these land on the login page.
  user.sessionLostOnCalls = new Set([3, 22, 27, 28]);
  const seconds: TimelinePoint[] = [];
  const result = await runOnFakeClock(clock, [user], 1, {
    schedule: constantSchedule(600, 3),
    concurrency: 1,
    onSecond: (point) => seconds.push(point),
  });
  assert.equal(result.relogins, 4);
  assert.deepEqual(result.timeline.map((p) => p.relogins), [1, 0, 3]);
  // the summary's login.relogins is result.relogins (summarizeLogins): the seconds add up to it
  assert.equal(result.timeline.reduce((sum, p) => sum + p.relogins!, 0), result.relogins);
  assert.deepEqual(seconds.map((p) => p.relogins), [1, 0, 3], "the live hook sees the same seconds");
});

Deno.test("fake clock: each second keeps the most requests in flight at once, not only its end's", async () => {
  const clock = new FakeClock();
  const users = Array.from({ length: 10 }, (_, u) => new FakeUser(`u${u}`, clock, 150));
  // Due every 20 ms, 150 ms each: 7 or 8 in flight at any time, 8 at the peak; none once drained.
  const result = await runOnFakeClock(clock, users, 2, {
    schedule: constantSchedule(3000, 2),
    concurrency: 50,
  });
  assert.equal(result.maxInFlight, 8);
  assert.deepEqual(result.timeline.map((p) => p.in_flight_max), [8, 8]);
  assert.equal(result.timeline.at(-1)!.in_flight, 0, "the last second ends after the drain");
});

Deno.test("fake clock: abort stops scheduling; unsent due requests are not_sent, the rest is not", async () => {
  const clock = new FakeClock();
  const users = Array.from({ length: 5 }, (_, u) => new FakeUser(`u${u}`, clock, 2));
  const controller = new AbortController();
  clock.setTimer(() => controller.abort(), 300);
  const result = await runOnFakeClock(clock, users, 5, {
    schedule: constantSchedule(6000, 10),
    concurrency: 5,
    signal: controller.signal,
  });
  assert.equal(result.interrupted, true);
  assert.equal(result.sent, 30);
  assert.equal(result.notSent, 0);
  assert.equal(result.elapsedSec, 0.3);
  assert.equal(result.overall.total, 30);
});

/** A user whose requests never get an answer until `answerAll()` (a page that hangs). */
class HangingUser implements VirtualUser {
  loggedIn = true;
  private answers: (() => void)[] = [];
  constructor(readonly username: string) {}
  login(): Promise<LoginOutcome> {
    return Promise.resolve({ ok: true, username: this.username, attempts: 1, durationMs: 1 });
  }
  get(url: string): Promise<PageResult> {
    return new Promise((resolve) =>
      this.answers.push(() => resolve({ status: 200, finalUrl: url, bytes: 10, sessionLost: false }))
    );
  }
  answerAll(): void {
    for (const answer of this.answers.splice(0)) answer();
  }
}

Deno.test("fake clock: requests unanswered when the grace ends count as abandoned failures, at their wait", async () => {
  const clock = new FakeClock();
  const users = Array.from({ length: 10 }, (_, u) => new HangingUser(`u${u}`));
  const intervals: { drain: boolean; total: number; abandoned: number }[] = [];
  const log: { error: string | null; ok: boolean; latency_ms: number }[] = [];
  const result = await runOnFakeClock(clock, users, 7, {
    schedule: constantSchedule(600, 1), // 10 requests, one every 100 ms
    concurrency: 10,
    graceMs: 1000,
    progressSec: 0.5,
    onInterval: (r) => {
      const counts = r.stats.counts();
      intervals.push({ drain: r.drain, total: counts.total, abandoned: counts.errors.abandoned ?? 0 });
    },
    onRequest: (entry) => log.push({ error: entry.error, ok: entry.ok, latency_ms: entry.latency_ms }),
  });
  assert.equal(result.sent, 10);
  assert.equal(result.abandoned, 10);
  const counts = result.overall.counts();
  assert.equal(counts.total, result.sent);
  assert.equal(counts.failures, 10);
  assert.equal(counts.errors.abandoned, 10);
  assert.equal(counts.errors.timeout, undefined);
  assert.equal(result.endpoints[0].total + result.endpoints[1].total, 10);
  // Request k is due at 100k ms; the grace ends at 2000 ms: latency 2000 − 100k, at least the grace.
  near(percentileMs(result.overall.latency, 0), 1100);
  near(percentileMs(result.overall.latency, 100), 2000);
  assert.ok(percentileMs(result.overall.latency, 99) >= 1000);
  near(percentileMs(result.overall.service, 100), 2000);
  // The last (drain) interval holds them; the request log has one line each.
  assert.deepEqual(intervals.at(-1), { drain: true, total: 10, abandoned: 10 });
  assert.equal(log.length, 10);
  assert.ok(log.every((line) => line.error === "abandoned" && !line.ok && line.latency_ms >= 1000));
  // Answers that arrive after the run finished are ignored: no double count.
  for (const user of users) user.answerAll();
  for (let k = 0; k < 6; k++) await Promise.resolve();
  assert.equal(result.overall.total, 10);
  assert.equal(result.overall.failures, 10);
  assert.equal(log.length, 10);
});

// ---- real sockets ----

Deno.test("coordinated omission: 20 ms server, 200 rps, concurrency 2 → honest latency, late and not_sent", async () => {
  await withServer(async () => {
    await new Promise((resolve) => setTimeout(resolve, 20));
    return new Response("ok");
  }, async (base) => {
    const endpoints = compileEndpoints(base, [{ path: "/slow" }], {});
    const users = Array.from({ length: 10 }, (_, u) => new PlainFetchUser(`u${u}`));
    const result = await runEngine({
      schedule: constantSchedule(200 * 60, 3),
      warmupSec: 0,
      users,
      picker: new TargetPicker(endpoints, users.length, 9),
      concurrency: 2,
      requestTimeoutMs: 5000,
      graceMs: 5000,
      progressSec: 60,
    });
    const service50 = percentileMs(result.overall.service, 50);
    const latency50 = percentileMs(result.overall.latency, 50);
    const latency99 = percentileMs(result.overall.latency, 99);
    // At most 2 / 20 ms = 100 rps get through: about half of the 600 are never sent.
    assert.ok(result.sent <= 360, `sent ${result.sent}`);
    assert.equal(result.maxInFlight, 2);
    assert.ok(result.notSent >= 240, `not_sent ${result.notSent}`);
    assert.equal(result.sent + result.notSent, 600);
    assert.ok(result.late > result.sent * 0.8, `late ${result.late} of ${result.sent}`);
    assert.ok(service50 >= 19 && service50 < 60, `service p50 ${service50}`);
    assert.ok(latency50 > 10 * service50, `latency p50 ${latency50} vs service ${service50}`);
    assert.ok(latency99 > 1000, `latency p99 ${latency99}`);
    assert.equal(result.overall.total, result.sent);
  });
});

Deno.test("real server: a paced run sends the whole schedule and counts bytes, statuses and errors", async () => {
  let hits = 0;
  await withServer((request) => {
    hits++;
    const url = new URL(request.url);
    if (url.pathname === "/missing") return new Response("no", { status: 404 });
    return new Response("x".repeat(1000));
  }, async (base) => {
    const endpoints = compileEndpoints(base, [{ path: "/ok?id={id}", weight: 4 }, { path: "/missing" }], {
      id: { min: 1, max: 3 },
    });
    const users = Array.from({ length: 20 }, (_, u) => new PlainFetchUser(`u${u}`));
    const result = await runEngine({
      schedule: constantSchedule(300 * 60, 2),
      warmupSec: 0,
      users,
      picker: new TargetPicker(endpoints, users.length, 10),
      concurrency: 20,
      requestTimeoutMs: 5000,
      graceMs: 5000,
      progressSec: 60,
    });
    assert.equal(result.sent, 600);
    assert.equal(result.notSent, 0);
    assert.equal(hits, 600);
    const counts = result.overall.counts();
    assert.equal(counts.total, 600);
    assert.equal(counts.status_codes["404"], result.endpoints[1].total);
    assert.equal(counts.errors.http_4xx, result.endpoints[1].total);
    assert.equal(counts.success, result.endpoints[0].total);
    assert.equal(counts.bytes, result.endpoints[0].total * 1000 + result.endpoints[1].total * 2);
  });
});

Deno.test("per-user pools: a request sent by another idle user (the preferred one busy) carries that user's value", async () => {
  const clock = new FakeClock();
  const got = new Map<string, string[]>();
  class RecordingUser extends FakeUser {
    override get(url: string): Promise<PageResult> {
      got.set(this.username, [...(got.get(this.username) ?? []), new URL(url).searchParams.get("id")!]);
      return super.get(url);
    }
  }
  const usernames = ["u0", "u1", "u2", "u3"];
  const pools = { users: Object.fromEntries(usernames.map((u, i) => [u, { enrolled_courses: [10 + i] }])) };
  const endpoints = compileEndpoints(
    "http://x",
    [{ path: "/c?id={c}" }],
    { c: { from: "enrolled_courses" } },
    {
      usernames,
      pools,
    },
  );
  const users = usernames.map((u) => new RecordingUser(u, clock, 30));
  const picker = new TargetPicker(endpoints, users.length, 3);
  // Count how often the engine takes a user other than the one drawn: the case under test must happen.
  let substituted = 0;
  const urlFor = picker.urlFor.bind(picker);
  picker.urlFor = (user: number) => {
    if (user !== picker.user) substituted++;
    return urlFor(user);
  };
  const result = await runOnFakeClock(clock, users, 3, {
    schedule: constantSchedule(6000, 2), // 100 req/s, 30 ms each: 3 users busy on average out of 4
    concurrency: 4,
    picker,
  });
  usernames.forEach((username, i) => {
    const ids = got.get(username) ?? [];
    assert.ok(ids.length > 0, username);
    assert.deepEqual([...new Set(ids)], [String(10 + i)], `${username} asked for another user's course`);
  });
  assert.ok(substituted > 20, `only ${substituted} substitutions`);
  assert.ok(result.sent > 150);
});

// ---- journeys ----

/** A scripted journey runner: step k of every iteration takes serviceMs[k] and thinks thinkMs[k] after. */
class FakeJourneyRunner implements JourneyRunner {
  /** Calls to step(): [iteration, step, fake time at the call, user]. */
  readonly calls: [number, number, number, number][] = [];
  failAt = -1;
  continueOnFail = false;
  constructor(
    private clock: FakeClock,
    private serviceMs: number[],
    private thinkMs: number[],
  ) {}
  begin(_journey: number, user: number, iteration: number): JourneyIteration {
    return {
      step: (k) => {
        this.calls.push([iteration, k, this.clock.t, user]);
        return new Promise((resolve) =>
          this.clock.setTimer(() =>
            resolve({
              status: 200,
              finalUrl: `http://x/${k}`,
              bytes: 10,
              sessionLost: false,
              thinkMs: this.thinkMs[k] ?? 0,
              continueOnFail: this.continueOnFail,
              ...(k === this.failAt
                ? { errorClass: "check_failed" as const, errorMessage: 'check "contains" failed' }
                : {}),
            }), this.serviceMs[k])
        );
      },
    };
  }
}

const JOURNEY_SPECS: JourneySpec[] = [{
  name: "j",
  steps: [{ name: "j/a", path: "/a" }, { name: "j/b", path: "/b" }, { name: "j/c", path: "/c" }],
}];

function journeyPicker(users: number): TargetPicker {
  return new TargetPicker(compileEndpoints("http://x", [{ path: "/", name: "j" }], {}), users, 1);
}

Deno.test("fake clock journeys: first step from the intended start, later steps from the end of the think time", async () => {
  const clock = new FakeClock();
  const users = Array.from({ length: 5 }, (_, u) => new FakeUser(`u${u}`, clock, 1));
  const runner = new FakeJourneyRunner(clock, [20, 30, 40], [100, 200]);
  const result = await runOnFakeClock(clock, users, 1, {
    schedule: constantSchedule(60, 3), // one journey per second, 3 of them
    concurrency: 5,
    picker: journeyPicker(users.length),
    journeys: { specs: JOURNEY_SPECS, runner },
  });
  // Iteration 0: step a at 0 (20 ms), think 100, b at 120 (30 ms), think 200, c at 350 (40 ms) → 390.
  assert.deepEqual(runner.calls.filter((c) => c[0] === 0).map((c) => [c[1], c[2]]), [[0, 0], [1, 120], [
    2,
    350,
  ]]);
  assert.equal(result.sent, 3);
  assert.equal(result.overall.total, 9);
  assert.deepEqual(result.endpoints.map((e) => e.total), [3, 3, 3]);
  // Think time is never in a latency: each step's latency is its service time.
  near(percentileMs(result.endpoints[0].latency, 100), 20);
  near(percentileMs(result.endpoints[1].latency, 100), 30);
  near(percentileMs(result.endpoints[2].latency, 100), 40);
  const journey = result.journeys![0];
  assert.equal(journey.started, 3);
  assert.equal(journey.completed, 3);
  assert.equal(journey.failed, 0);
  near(percentileMs(journey.duration, 100), 390);
  near(percentileMs(journey.think, 100), 300);
  for (const user of users) assert.equal(user.calls, 0, "journeys never call get()");
});

Deno.test("fake clock journeys: a user does nothing else during its journey; coordinated omission shows in step 1's latency", async () => {
  const clock = new FakeClock();
  const users = Array.from({ length: 2 }, (_, u) => new FakeUser(`u${u}`, clock, 1));
  // A slow first step (500 ms) + 500 ms think + 100 ms: one journey holds its user for 1.1 s.
  const runner = new FakeJourneyRunner(clock, [500, 100], [500]);
  const specs: JourneySpec[] = [{ name: "j", steps: JOURNEY_SPECS[0].steps.slice(0, 2) }];
  const result = await runOnFakeClock(clock, users, 1, {
    schedule: constantSchedule(600, 2), // one every 100 ms for 2 s: 20 due
    concurrency: 2,
    picker: journeyPicker(users.length),
    journeys: { specs, runner },
    graceMs: 10_000,
  });
  // Never two steps or journeys at once on one user: a user's calls are ≥ 1.1 s apart per iteration.
  for (const u of [0, 1]) {
    const starts = runner.calls.filter((c) => c[3] === u && c[1] === 0).map((c) => c[2]);
    for (let k = 1; k < starts.length; k++) assert.ok(starts[k] - starts[k - 1] >= 1100, `${starts}`);
  }
  // Two journeys at a time, 1.1 s each, over 2 s: journeys at 0 and 100, then 1100 and 1200 ms.
  assert.equal(result.sent, 4);
  assert.equal(result.notSent, 16);
  assert.equal(result.late, 2);
  // The 4th journey was due at 300 ms and started at 1200 ms: step 1 latency 900 + 500 ms service.
  near(percentileMs(result.endpoints[0].latency, 100), 1400);
  near(percentileMs(result.endpoints[0].service, 100), 500);
  near(percentileMs(result.endpoints[1].latency, 100), 100);
  assert.equal(result.journeys![0].completed, 4);
  near(percentileMs(result.journeys![0].duration, 100), 900 + 1100);
});

Deno.test("fake clock journeys: coordinated omission — a slow first step and 2 slots under 40 journeys/s: latency from the intended start, far above the service time", async () => {
  // Each journey: a 200 ms step, then a 10 ms one; 2 slots hold at most 2 / 210 ms ≈ 9.5 journeys/s,
  // a quarter of what is due. With enough slots (the control) the same journeys are never late.
  const run = async (concurrency: number) => {
    const clock = new FakeClock();
    const users = Array.from({ length: 20 }, (_, u) => new FakeUser(`u${u}`, clock, 1));
    const runner = new FakeJourneyRunner(clock, [200, 10], [0]);
    const specs: JourneySpec[] = [{ name: "j", steps: JOURNEY_SPECS[0].steps.slice(0, 2) }];
    const result = await runOnFakeClock(clock, users, 1, {
      schedule: constantSchedule(2400, 3), // one every 25 ms for 3 s: 120 due
      concurrency,
      picker: journeyPicker(users.length),
      journeys: { specs, runner },
      graceMs: 10_000,
    });
    // How late each sent iteration's first step went out: its call time minus its intended start.
    const waits = runner.calls.filter((c) => c[1] === 0).map(([iteration, , at]) => at - iteration * 25);
    return { result, waits };
  };
  const { result, waits } = await run(2);
  const first = result.endpoints[0];
  assert.equal(result.maxInFlight, 2);
  assert.equal(result.sent + result.notSent, 120);
  assert.equal(result.sent, waits.length);
  assert.ok(result.sent <= 32 && result.notSent >= 88, `sent ${result.sent}, not_sent ${result.notSent}`);
  assert.ok(result.late >= result.sent - 2, `late ${result.late} of ${result.sent}`);
  near(percentileMs(first.service, 100), 200);
  // Step 1's latency counts from the intended start: its wait in the queue plus its 200 ms.
  const worstWait = Math.max(...waits);
  near(percentileMs(first.latency, 100), worstWait + 200, "step 1 latency max");
  assert.ok(percentileMs(first.latency, 50) > 5 * percentileMs(first.service, 50), "p50 far above service");
  assert.ok(percentileMs(first.latency, 100) > 10 * 200, `latency max ${percentileMs(first.latency, 100)}`);
  // The next step counts from the end of the think time before it: no queue in it.
  near(percentileMs(result.endpoints[1].latency, 100), 10);
  near(percentileMs(result.journeys![0].duration, 100), worstWait + 210, "journey duration max");
  assert.equal(result.journeys![0].completed, result.sent);

  const control = await run(20);
  assert.equal(control.result.sent, 120);
  assert.equal(control.result.late, 0);
  assert.ok(control.waits.every((w) => w === 0));
  near(percentileMs(control.result.endpoints[0].latency, 100), 200);
});

Deno.test("fake clock journeys: a failed check ends the journey (or not, on_fail continue)", async () => {
  for (const continueOnFail of [false, true]) {
    const clock = new FakeClock();
    const users = [new FakeUser("u0", clock, 1)];
    const runner = new FakeJourneyRunner(clock, [10, 10, 10], [0, 0]);
    runner.failAt = 1;
    runner.continueOnFail = continueOnFail;
    const result = await runOnFakeClock(clock, users, 1, {
      schedule: constantSchedule(60, 2),
      concurrency: 1,
      picker: journeyPicker(1),
      journeys: { specs: JOURNEY_SPECS, runner },
    });
    const journey = result.journeys![0];
    assert.equal(journey.started, 2);
    assert.equal(journey.completed, 0);
    assert.equal(journey.failed, 2);
    assert.deepEqual(journey.failedBy, { "j/b": { check_failed: 2 } });
    assert.equal(result.endpoints[1].failures, 2);
    assert.equal(result.endpoints[2].total, continueOnFail ? 2 : 0);
  }
});

Deno.test("fake clock: a late start keeps the shared clock — skipped requests are not_sent, the rest late or on time", async () => {
  const clock = new FakeClock();
  const users = Array.from({ length: 10 }, (_, u) => new FakeUser(`u${u}`, clock, 5));
  const reference = new TargetPicker(ENDPOINTS, users.length, 9);
  const expectedUrls = Array.from({ length: 100 }, () => {
    reference.next();
    return reference.url;
  });
  const sentUrls: string[] = [];
  const intended: number[] = [];
  const result = await runOnFakeClock(clock, users, 9, {
    schedule: constantSchedule(6000, 1), // 100 req/s for 1 s
    concurrency: 10,
    startAtEpochMs: 1_700_000_000_000 - 300,
    skipBeforeSec: 0.2,
    onRequest: (entry) => {
      sentUrls.push(entry.url);
      intended.push(entry.i);
    },
  });
  assert.equal(result.notSent, 20, "t_i < 0.2 s: never sent");
  assert.equal(result.sent, 80);
  assert.equal(result.late, 9, "0.2 s ≤ t_i < 0.29 s: sent at 0.3 s, more than 10 ms late");
  assert.equal(result.startEpochMs, 1_700_000_000_000 - 300, "the schedule's zero is the agreed instant");
  assert.equal(result.elapsedSec, 1);
  // The picker still drew the skipped requests: request i keeps its URL.
  intended.forEach((i, k) => assert.equal(sentUrls[k], expectedUrls[i]));
  assert.equal(Math.min(...intended), 20);
});

Deno.test("fake clock: the time line has one point per second whatever progressSec is; sums match", async () => {
  const clock = new FakeClock();
  const users = Array.from({ length: 10 }, (_, u) => new FakeUser(`u${u}`, clock, 50));
  const seconds: number[] = [];
  const result = await runOnFakeClock(clock, users, 7, {
    schedule: constantSchedule(600, 17),
    concurrency: 10,
    progressSec: 30,
    onSecond: (point) => seconds.push(point.t_sec),
  });
  const timeline = result.timeline;
  assert.deepEqual(timeline.map((p) => p.t_sec), Array.from({ length: 17 }, (_, k) => k + 1));
  assert.deepEqual(seconds, timeline.map((p) => p.t_sec), "onSecond sees every point as it closes");
  assert.equal(timeline.reduce((sum, p) => sum + p.total, 0), result.overall.total);
  for (const point of timeline) {
    assert.equal(point.total, 10);
    assert.equal(point.failures, 0);
    assert.equal(point.span_sec, 1);
    assert.equal(point.target_rpm, 600);
    near(point.latency_ms_p50, 50);
    near(point.latency_ms_max, 50);
    assert.equal(point.warmup, undefined);
  }
  assert.equal(timeline[1].epoch_ms - timeline[0].epoch_ms, 1000);
  assert.equal(timeline[0].epoch_ms, clock.epochMs() - clock.t + 1000);
});

Deno.test("fake clock: time line with a warm-up (marked, negative t_sec) and an interrupted last second", async () => {
  const clock = new FakeClock();
  const users = Array.from({ length: 5 }, (_, u) => new FakeUser(`u${u}`, clock, 5));
  const warm = await runOnFakeClock(clock, users, 3, {
    schedule: new Schedule(withWarmup(2, 600, constantSchedule(1200, 3).segments)),
    warmupSec: 2,
    concurrency: 5,
  });
  assert.deepEqual(warm.timeline.map((p) => p.t_sec), [-1, 0, 1, 2, 3]);
  assert.deepEqual(warm.timeline.map((p) => p.warmup ?? false), [true, true, false, false, false]);
  assert.deepEqual(warm.timeline.map((p) => p.target_rpm), [600, 600, 1200, 1200, 1200]);
  assert.deepEqual(warm.timeline.map((p) => p.total), [10, 10, 20, 20, 20]);

  const clock2 = new FakeClock();
  const users2 = Array.from({ length: 5 }, (_, u) => new FakeUser(`u${u}`, clock2, 5));
  const controller = new AbortController();
  clock2.setTimer(() => controller.abort(), 2500);
  const cut = await runOnFakeClock(clock2, users2, 3, {
    schedule: constantSchedule(600, 10),
    concurrency: 5,
    signal: controller.signal,
  });
  assert.deepEqual(cut.timeline.map((p) => p.t_sec), [1, 2, 2.5]);
  assert.deepEqual(cut.timeline.map((p) => p.span_sec), [1, 1, 0.5]);
  assert.equal(cut.timeline.reduce((sum, p) => sum + p.total, 0), cut.overall.total);
});

/** Answers after `serviceMs`, says so in `receivedMs`, then works on it `ownWorkMs` more (as MoodleUser does). */
class SlowReaderUser extends FakeUser {
  constructor(
    username: string,
    private fake: FakeClock,
    private answerMs: number,
    private ownWorkMs: number,
  ) {
    super(username, fake, 0);
  }
  override get(url: string): Promise<PageResult> {
    return new Promise((resolve) =>
      this.fake.setTimer(() => {
        const receivedMs = this.reported(this.fake.t);
        this.fake.setTimer(
          () => resolve({ status: 200, finalUrl: url, bytes: 10, sessionLost: false, receivedMs }),
          this.ownWorkMs,
        );
      }, this.answerMs)
    );
  }
  /** The time reported as the answer's; a subclass may report one from another clock. */
  reported(answeredMs: number): number {
    return answeredMs;
  }
}

Deno.test("a request is timed to its answer's last byte, not to the end of the user's own work on it", async () => {
  const clock = new FakeClock();
  const users = [new SlowReaderUser("u0", clock, 5, 3)];
  const result = await runOnFakeClock(clock, users, 1, {
    schedule: constantSchedule(600, 1),
    concurrency: 1,
  });
  assert.equal(result.overall.total, 10);
  near(percentileMs(result.overall.service, 100), 5);
  near(percentileMs(result.overall.latency, 100), 5);
});

Deno.test("an answer time outside [sent, now] (another clock's) is not trusted: the result's arrival counts", async () => {
  const clock = new FakeClock();
  const foreign = new SlowReaderUser("u0", clock, 5, 3);
  foreign.reported = (answeredMs) => answeredMs + 1e9;
  const result = await runOnFakeClock(clock, [foreign], 1, {
    schedule: constantSchedule(600, 1),
    concurrency: 1,
  });
  assert.equal(result.overall.total, 10);
  near(percentileMs(result.overall.service, 100), 8);
});
