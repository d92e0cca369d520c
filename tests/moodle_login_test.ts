import assert from "node:assert/strict";
import { createMoodleUser, type MoodleUserOptions } from "../src/moodle/user.ts";
import { createFetchTransport } from "../src/moodle/transport/fetch.ts";
import type { Transport } from "../src/moodle/transport/types.ts";
import type { DemoServer } from "../src/demo/mod.ts";
import { closedPort, withDemo } from "./helpers/demo.ts";

const transport = createFetchTransport();
const PW = "S3cret-pw";

function user(demo: DemoServer, username: string, extra: Partial<MoodleUserOptions> = {}) {
  return createMoodleUser({
    baseUrl: demo.url,
    username,
    password: PW,
    transport,
    retryBaseMs: 10,
    sleep: () => Promise.resolve(),
    ...extra,
  });
}

for (const sitePath of ["", "/moodle"]) {
  Deno.test(`login succeeds through the whole chain at site path "${sitePath || "/"}"`, async () => {
    await withDemo(
      { sitePath, cookieSuffix: "_lt", users: [{ username: "Student01", password: PW }] },
      async (demo) => {
        const alice = user(demo, "STUDENT01");
        const outcome = await alice.login();
        assert.equal(outcome.ok, true, outcome.detail);
        assert.equal(outcome.attempts, 1);
        assert.equal(alice.loggedIn, true);
        assert.match(alice.sesskey ?? "", /^[A-Za-z0-9]{10}$/);
        assert.equal(demo.counters.logins, 1);
        // The jar holds the regenerated session cookie, scoped to the site path.
        const cookie = alice.session.jar.getCookiesSync(`${demo.url}/my/`).find((c) =>
          c.key === "MoodleSession_lt"
        );
        assert.ok(cookie, "session cookie in the jar");
        assert.equal(cookie.path, `${sitePath}/`);
        const page = await alice.get(`${demo.url}/course/view.php?id=7`);
        assert.equal(page.status, 200);
        assert.equal(page.sessionLost, false);
        assert.equal(page.errorClass, undefined);
        assert.ok(page.bytes > 100_000, `page bytes ${page.bytes}`);
        assert.equal(page.perf?.dbReads, 57);
        assert.equal(await alice.logout(), true);
        assert.equal(alice.loggedIn, false);
        assert.equal(demo.counters.logouts, 1);
      },
    );
  });
}

Deno.test("each login failure is named by its reason", async () => {
  const users = [
    { username: "good", password: PW },
    { username: "forced", password: PW, forcePasswordChange: true },
    { username: "incomplete", password: PW, profileIncomplete: true },
    { username: "nopolicy", password: PW, policyNotAccepted: true },
    { username: "visitor", password: PW, notEnrolled: true },
    { username: "suspended", password: PW, suspended: true },
    { username: "locked", password: PW, locked: true },
  ];
  await withDemo({ users }, async (demo) => {
    const reasonOf = async (name: string, extra: Partial<MoodleUserOptions> = {}) => {
      const outcome = await user(demo, name, extra).login();
      return {
        reason: outcome.ok ? "ok" : outcome.reason,
        attempts: outcome.attempts,
        detail: outcome.detail,
      };
    };
    assert.equal((await reasonOf("good")).reason, "ok");
    const wrong = await reasonOf("good", { password: "nope" });
    assert.deepEqual([wrong.reason, wrong.attempts], ["wrong_credentials", 1]);
    assert.equal(wrong.detail, "Invalid login, please try again");
    assert.equal((await reasonOf("nobody")).reason, "wrong_credentials");
    assert.equal((await reasonOf("suspended")).reason, "wrong_credentials");
    assert.equal((await reasonOf("locked")).reason, "wrong_credentials");
    assert.equal((await reasonOf("forced")).reason, "password_change_forced");
    assert.equal((await reasonOf("incomplete")).reason, "profile_incomplete");
    assert.equal((await reasonOf("nopolicy")).reason, "policy_not_accepted");
    // Enrolment shows when the user asked for a course first (Moodle's wantsurl).
    assert.equal((await reasonOf("visitor")).reason, "ok");
    assert.equal(
      (await reasonOf("visitor", { landingPath: "/course/view.php?id=5" })).reason,
      "not_enrolled",
    );
    assert.equal((await reasonOf("good", { landingPath: "/course/view.php?id=5" })).reason, "ok");
    const notFound = await reasonOf("good", { loginPath: "/login/missing.php" });
    assert.deepEqual([notFound.reason, notFound.attempts], ["http_error", 1]);
    assert.equal((await reasonOf("good", { loginPath: "/my/" })).reason, "unexpected_page");
  });
});

Deno.test("a jar that drops the regenerated cookie fails the testsession check: cookies_rejected", async () => {
  await withDemo({ users: [{ username: "u1", password: PW }] }, async (demo) => {
    const dropping: Transport = {
      kind: "fetch",
      close() {},
      async request(request) {
        const response = await transport.request(request);
        return request.method === "POST" ? { ...response, setCookies: [] } : response;
      },
    };
    const outcome = await user(demo, "u1", { transport: dropping }).login();
    assert.equal(outcome.reason, "cookies_rejected", outcome.detail);
    assert.equal(outcome.attempts, 1);
  });
});

Deno.test("transient failures retry with growing, jittered delays and a fresh GET each time", async () => {
  await withDemo({ users: [{ username: "u1", password: PW }] }, async (demo) => {
    const delays: number[] = [];
    const options: Partial<MoodleUserOptions> = {
      maxRetries: 4,
      retryBaseMs: 100,
      retryMaxMs: 10_000,
      random: () => 0.5,
      sleep: (ms) => {
        delays.push(ms);
        return Promise.resolve();
      },
    };
    demo.injectFailures(2, 503);
    const outcome = await user(demo, "u1", options).login();
    assert.equal(outcome.ok, true, outcome.detail);
    assert.equal(outcome.attempts, 3);
    assert.deepEqual(delays, [75, 150]); // equal jitter: half the ceiling + random × half
    assert.equal(demo.counters.injectedErrors, 2);

    // The POST itself fails with 502 once: the retry starts over with a new GET and a new token.
    delays.length = 0;
    const sessionsBefore = demo.sessions.created;
    const flaky: Transport = {
      kind: "fetch",
      close() {},
      request(request) {
        if (request.method === "POST" && delays.length === 0) demo.injectFailures(1, 502);
        return transport.request(request);
      },
    };
    const second = await user(demo, "u1", { ...options, transport: flaky }).login();
    assert.equal(second.ok, true, second.detail);
    assert.equal(second.attempts, 2);
    assert.equal(delays.length, 1);
    assert.ok(demo.sessions.created - sessionsBefore >= 3, "each attempt started a fresh session");

    // More failures than retries: the last reason is reported.
    delays.length = 0;
    demo.injectFailures(10, 503);
    const failed = await user(demo, "u1", { ...options, maxRetries: 2 }).login();
    assert.equal(failed.ok, false);
    assert.equal(failed.reason, "http_error");
    assert.equal(failed.attempts, 3);
    assert.match(failed.detail ?? "", /503/);
    assert.deepEqual(delays, [75, 150]);
  });
});

Deno.test("bad credentials are never retried", async () => {
  await withDemo({ users: [{ username: "u1", password: PW }] }, async (demo) => {
    let slept = 0;
    const outcome = await user(demo, "u1", {
      password: "wrong",
      maxRetries: 5,
      sleep: () => {
        slept++;
        return Promise.resolve();
      },
    }).login();
    assert.equal(outcome.reason, "wrong_credentials");
    assert.equal(outcome.attempts, 1);
    assert.equal(slept, 0);
    assert.equal(demo.counters.loginFailures, 1);
  });
});

Deno.test("login timeout and unreachable site are transient and retried", async () => {
  await withDemo(
    { users: [{ username: "u1", password: PW }], latencyByPath: { "/login/index.php": 600 } },
    async (demo) => {
      const outcome = await user(demo, "u1", { loginTimeoutMs: 150, maxRetries: 1 }).login();
      assert.equal(outcome.reason, "timeout", outcome.detail);
      assert.equal(outcome.attempts, 2);
    },
  );
  const outcome = await createMoodleUser({
    baseUrl: `http://127.0.0.1:${closedPort()}/moodle`,
    username: "u1",
    password: PW,
    transport,
    maxRetries: 2,
    sleep: () => Promise.resolve(),
  }).login();
  assert.equal(outcome.reason, "network", outcome.detail);
  assert.equal(outcome.attempts, 3);
});

Deno.test("lockout after repeated failures, unless the account ignores lockouts", async () => {
  const users = [{ username: "victim", password: PW }, {
    username: "tester",
    password: PW,
    lockoutIgnored: true,
  }];
  await withDemo({ users, lockoutThreshold: 3 }, async (demo) => {
    for (const name of ["victim", "tester"]) {
      for (let i = 0; i < 3; i++) {
        assert.equal((await user(demo, name, { password: "bad" }).login()).ok, false);
      }
    }
    assert.equal((await user(demo, "victim").login()).reason, "wrong_credentials");
    assert.equal((await user(demo, "tester").login()).ok, true);
  });
});

Deno.test("session loss mid-run is detected (never a success) and a new login recovers", async () => {
  await withDemo(
    { sitePath: "/moodle", users: [{ username: "u1", password: PW }], pageBytes: 20_000 },
    async (demo) => {
      const u1 = user(demo, "u1");
      assert.equal((await u1.login()).ok, true);
      assert.equal((await u1.get(`${demo.url}/my/`)).errorClass, undefined);
      assert.ok(demo.expireAllSessions() >= 1);
      const lost = await u1.get(`${demo.url}/mod/forum/discuss.php?d=4`);
      assert.equal(lost.sessionLost, true);
      assert.equal(lost.errorClass, "session_lost");
      assert.equal(new URL(lost.finalUrl).pathname, "/moodle/login/index.php");
      assert.equal(u1.loggedIn, false);
      const again = await u1.login();
      assert.equal(again.ok, true, again.detail);
      const page = await u1.get(`${demo.url}/mod/forum/discuss.php?d=4`);
      assert.equal(page.status, 200);
      assert.equal(page.sessionLost, false);
      assert.equal(demo.counters.logins, 2);
    },
  );
});

Deno.test("get(): statuses outside 2xx or `expect` are classified; expect widens success", async () => {
  await withDemo({ users: [{ username: "u1", password: PW }], pageBytes: 5_000 }, async (demo) => {
    const u1 = user(demo, "u1");
    assert.equal((await u1.login()).ok, true);
    const missing = await u1.get(`${demo.url}/no/such/page.php`);
    assert.deepEqual([missing.status, missing.errorClass], [404, "http_4xx"]);
    assert.equal((await u1.get(`${demo.url}/no/such/page.php`, { expect: [404] })).errorClass, undefined);
    demo.injectFailures(1, 500);
    assert.equal((await u1.get(`${demo.url}/my/`)).errorClass, "http_5xx");
    assert.equal((await u1.get(`${demo.url}/my/`, { expect: [201] })).errorClass, "unexpected_status");
    const unreachable = await createMoodleUser({
      baseUrl: `http://127.0.0.1:${closedPort()}`,
      username: "x",
      password: "y",
      transport,
    }).get(`http://127.0.0.1:${closedPort()}/my/`);
    assert.deepEqual([unreachable.status, unreachable.errorClass], [0, "connect"]);
  });
});

Deno.test("get(): a request timeout is classified as timeout", async () => {
  await withDemo(
    { users: [{ username: "u1", password: PW }], latencyByPath: { "/my/": 500 } },
    async (demo) => {
      const u1 = user(demo, "u1");
      assert.equal((await u1.login()).ok, true);
      const slow = await u1.get(`${demo.url}/my/`, { timeoutMs: 100 });
      assert.equal(slow.errorClass, "timeout");
      assert.equal(slow.status, 0);
    },
  );
});

Deno.test("one request per virtual user: a second call while one is in flight is refused", async () => {
  await withDemo(
    { users: [{ username: "u1", password: PW }], latencyByPath: { "/my/": 100 } },
    async (demo) => {
      const u1 = user(demo, "u1");
      assert.equal((await u1.login()).ok, true);
      const first = u1.get(`${demo.url}/my/`);
      assert.equal(u1.busy, true);
      await assert.rejects(u1.get(`${demo.url}/my/`), /in flight/);
      await assert.rejects(u1.login(), /in flight/);
      assert.equal((await first).status, 200);
      assert.equal(u1.busy, false);
    },
  );
});
