import assert from "node:assert/strict";
import { groupLoginFailures, loginAll, renderLoginTable } from "../src/moodle/login_phase.ts";
import { createMoodleUser } from "../src/moodle/user.ts";
import { createFetchTransport } from "../src/moodle/transport/fetch.ts";
import type { LoginOutcome, VirtualUser } from "../src/engine/types.ts";
import { withDemo } from "./helpers/demo.ts";

Deno.test("loginAll keeps at most `concurrency` logins in flight and returns outcomes in order", async () => {
  let inFlight = 0;
  let peak = 0;
  const fake = (name: string, ok: boolean): VirtualUser => ({
    username: name,
    loggedIn: false,
    get: () => Promise.reject(new Error("not used")),
    async login(): Promise<LoginOutcome> {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 5));
      inFlight--;
      return ok
        ? { ok, username: name, attempts: 1, durationMs: 5 }
        : { ok, username: name, attempts: 1, durationMs: 5, reason: "wrong_credentials" };
    },
  });
  const users = Array.from({ length: 9 }, (_, i) => fake(`u${i}`, i % 3 !== 0));
  const seen: number[] = [];
  const outcomes = await loginAll(users, { concurrency: 2, onOutcome: (_, done) => seen.push(done) });
  assert.equal(peak, 2);
  assert.deepEqual(outcomes.map((o) => o.username), users.map((u) => u.username));
  assert.deepEqual(seen, [1, 2, 3, 4, 5, 6, 7, 8, 9]);
});

Deno.test("the login table: logged in N/M, failures grouped by reason with usernames", () => {
  const outcomes: LoginOutcome[] = [
    { ok: true, username: "a", attempts: 1, durationMs: 1 },
    {
      ok: false,
      username: "b",
      attempts: 1,
      durationMs: 1,
      reason: "wrong_credentials",
      detail: "Invalid login",
    },
    { ok: false, username: "c", attempts: 1, durationMs: 1, reason: "wrong_credentials" },
    {
      ok: false,
      username: "d",
      attempts: 4,
      durationMs: 1,
      reason: "http_error",
      detail: "HTTP 503 at /login",
    },
  ];
  const groups = groupLoginFailures(outcomes);
  assert.deepEqual(groups.map((g) => g.count), [2, 1], "3 of the 4 users failed");
  assert.deepEqual(groups.map((g) => [g.reason, g.usernames]), [
    ["wrong_credentials", ["b", "c"]],
    ["http_error", ["d"]],
  ]);
  const text = renderLoginTable(outcomes);
  const lines = text.split("\n");
  assert.equal(lines[0], "Logged in 1/4 users (3 retries)");
  assert.match(lines[1], /^Failure reason\s+Users\s+Usernames\s+Example$/);
  assert.match(lines[2], /^wrong_credentials\s+2\s+b, c\s+Invalid login$/);
  assert.match(lines[3], /^http_error\s+1\s+d\s+HTTP 503 at \/login$/);
  assert.equal(renderLoginTable(outcomes.slice(0, 1)), "Logged in 1/1 users");
  const many = Array.from({ length: 12 }, (_, i): LoginOutcome => ({
    ok: false,
    username: `user${i}`,
    attempts: 1,
    durationMs: 1,
    reason: "timeout",
  }));
  assert.match(renderLoginTable(many), /user7 … and 4 more/);
});

Deno.test("login phase against the demo site: mixed outcomes, nothing secret printed", async () => {
  const users = [
    { username: "s1", password: "pw-one" },
    { username: "s2", password: "pw-two" },
    { username: "s3", password: "pw-three", forcePasswordChange: true },
  ];
  await withDemo({ users, latencyMs: 20, pageBytes: 5_000 }, async (demo) => {
    const transport = createFetchTransport();
    const vus = [...users, { username: "s4", password: "pw-four" }].map((u) =>
      createMoodleUser({ baseUrl: demo.url, username: u.username, password: u.password, transport })
    );
    const outcomes = await loginAll(vus, { concurrency: 2 });
    const text = renderLoginTable(outcomes);
    assert.match(text, /^Logged in 2\/4 users/);
    assert.match(text, /password_change_forced\s+1\s+s3/);
    assert.match(text, /wrong_credentials\s+1\s+s4/);
    for (const secret of ["pw-one", "pw-two", "pw-three", "pw-four"]) assert.ok(!text.includes(secret));
    assert.deepEqual(vus.map((vu) => vu.loggedIn), [true, true, false, false]);
  });
});
