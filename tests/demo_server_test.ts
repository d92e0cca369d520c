/**
 * The demo server speaks Moodle's protocol (docs/moodle-protocol.md). These tests talk to it
 * with bare `fetch` and hand-kept cookies, independent of the load tool's own session code.
 */
import assert from "node:assert/strict";
import { demoRunConfig, type DemoServer } from "../src/demo/mod.ts";
import { validateConfig } from "../src/config/load.ts";
import { parsePerfFooter } from "../src/moodle/perf_footer.ts";
import { withDemo } from "./helpers/demo.ts";

const PW = "Pw-12345";

/** A minimal browser: one cookie value, no redirects followed. */
class Raw {
  cookie = "";
  constructor(readonly demo: DemoServer) {}

  async send(path: string, form?: Record<string, string>) {
    const url = path.startsWith("http") ? path : `${this.demo.url}${path}`;
    const response = await fetch(url, {
      method: form ? "POST" : "GET",
      redirect: "manual",
      headers: {
        ...(this.cookie ? { cookie: `${this.demo.cookieName}=${this.cookie}` } : {}),
        ...(form ? { "content-type": "application/x-www-form-urlencoded" } : {}),
      },
      body: form ? new URLSearchParams(form).toString() : undefined,
    });
    const setCookies = response.headers.getSetCookie();
    for (const line of setCookies) {
      const match = new RegExp(`^${this.demo.cookieName}=([^;]*)`).exec(line);
      if (match) this.cookie = match[1] === "deleted" ? "" : match[1];
    }
    const text = await response.text();
    return {
      status: response.status,
      location: response.headers.get("location"),
      headers: response.headers,
      setCookies,
      text,
    };
  }

  async token(): Promise<string> {
    const page = await this.send("/login/index.php");
    assert.equal(page.status, 200);
    const match = /<form[^>]*id="login"[\s\S]*?name="logintoken" value="([^"]+)"/.exec(page.text);
    assert.ok(match, "login form with a logintoken");
    return match[1];
  }

  post(username: string, password: string, logintoken: string) {
    return this.send("/login/index.php", { username, password, logintoken, anchor: "" });
  }

  /** The whole login: GET, POST, testsession hop. Returns where it ended. */
  async login(username: string, password = PW): Promise<string> {
    let response = await this.post(username, password, await this.token());
    for (let hops = 0; response.location && hops < 6; hops++) response = await this.send(response.location);
    return `${response.status} ${response.text.includes('id="loginerrormessage"') ? "error" : "page"}`;
  }
}

const users = [{ username: "alice", password: PW }, { username: "bob", password: PW }];

Deno.test("login page: session cookie scoped to the site path, 32-char token in form#login", async () => {
  await withDemo({ sitePath: "/moodle", cookieSuffix: "abc", users }, async (demo) => {
    assert.equal(demo.cookieName, "MoodleSessionabc");
    const raw = new Raw(demo);
    const page = await raw.send("/login/index.php");
    assert.equal(page.status, 200);
    assert.equal(page.setCookies.length, 1);
    assert.match(
      page.setCookies[0],
      /^MoodleSessionabc=[a-z0-9]{32}; path=\/moodle\/; HttpOnly; SameSite=Lax$/,
    );
    assert.match(await raw.token(), /^[A-Za-z0-9]{32}$/);
    assert.match(page.text, /"sesskey":"[A-Za-z0-9]{10}"/);
    // The site root redirects to its own slash.
    const bare = await fetch(demo.url, { redirect: "manual" });
    await bare.body?.cancel();
    assert.equal(bare.headers.get("location"), `${demo.url}/`);
    const outside = await fetch(`${demo.origin}/login/index.php`);
    await outside.body?.cancel();
    assert.equal(outside.status, 404);
  });
});

Deno.test("success: 303, new session id, testsession hop, then / and /my/", async () => {
  await withDemo({ sitePath: "/moodle", users }, async (demo) => {
    const raw = new Raw(demo);
    const token = await raw.token();
    const before = raw.cookie;
    const posted = await raw.post("ALICE", PW, token); // usernames are lower-cased
    assert.equal(posted.status, 303);
    assert.equal(posted.headers.get("x-redirect-by"), "Moodle");
    assert.notEqual(raw.cookie, before, "session id regenerated on the POST's response");
    const userId = demo.account("alice")!.id;
    assert.equal(posted.location, `${demo.url}/login/index.php?testsession=${userId}`);
    const hop = await raw.send(posted.location!);
    assert.deepEqual([hop.status, hop.location], [303, `${demo.url}/`]);
    const root = await raw.send(hop.location!);
    assert.deepEqual([root.status, root.location], [303, `${demo.url}/my/`]);
    const my = await raw.send(root.location!);
    assert.equal(my.status, 200);
    assert.match(my.text, /You are logged in as Alice/);
    // The old session id is gone: it is not logged in.
    const old = new Raw(demo);
    old.cookie = before;
    const stale = await old.send("/my/");
    assert.deepEqual([stale.status, stale.location], [303, `${demo.url}/login/index.php`]);
    assert.equal(demo.counters.logins, 1);
  });
});

Deno.test("the logintoken is single-use and bound to its session", async () => {
  await withDemo({ users }, async (demo) => {
    const raw = new Raw(demo);
    const token = await raw.token();
    assert.equal(await raw.token(), token, "the same session keeps its token until a POST uses it");
    const wrong = await raw.post("alice", "nope", token);
    assert.deepEqual([wrong.status, wrong.location], [303, `${demo.url}/login/index.php`]);
    // Reusing the spent token fails even with the right password.
    const reused = await raw.post("alice", PW, token);
    assert.equal(reused.location, `${demo.url}/login/index.php`);
    // Another session's token is worthless here.
    const other = new Raw(demo);
    const foreign = await other.token();
    const stolen = await raw.post("alice", PW, foreign);
    assert.equal(stolen.location, `${demo.url}/login/index.php`);
    // A missing token fails like a wrong password.
    assert.equal(
      (await raw.send("/login/index.php", { username: "alice", password: PW })).location,
      `${demo.url}/login/index.php`,
    );
    const fresh = await raw.token();
    assert.notEqual(fresh, token);
    assert.match((await raw.post("alice", PW, fresh)).location ?? "", /testsession=/);
    assert.equal(demo.counters.loginFailures, 4);
  });
});

Deno.test("failure: 303 back to the login page, which shows loginerrormessage once", async () => {
  await withDemo({ users }, async (demo) => {
    const raw = new Raw(demo);
    const failed = await raw.post("alice", "bad", await raw.token());
    assert.equal(failed.status, 303);
    const page = await raw.send(failed.location!);
    assert.equal(page.status, 200);
    assert.match(page.text, /<div [^>]*id="loginerrormessage"[^>]*>Invalid login, please try again<\/div>/);
    assert.doesNotMatch((await raw.send("/login/index.php")).text, /loginerrormessage/);
  });
});

Deno.test("testsession with another user id: 'cookies not enabled' page", async () => {
  await withDemo({ users }, async (demo) => {
    const raw = new Raw(demo);
    assert.equal(await raw.login("alice"), "200 page");
    const bad = await raw.send(`/login/index.php?testsession=${demo.account("bob")!.id}`);
    assert.equal(bad.status, 200);
    assert.match(bad.text, /id="loginerrormessage"[^>]*>Cookies must be enabled in your browser/);
    const fresh = new Raw(demo);
    assert.match((await fresh.send("/login/index.php?testsession=3")).text, /Cookies must be enabled/);
  });
});

Deno.test("logged out: 303 to the login page, then back to the wanted page after login", async () => {
  await withDemo({ sitePath: "/moodle", users }, async (demo) => {
    const raw = new Raw(demo);
    const course = await raw.send("/course/view.php?id=12");
    assert.deepEqual([course.status, course.location], [303, `${demo.url}/login/index.php`]);
    assert.equal(course.headers.get("x-redirect-by"), "Moodle");
    let response = await raw.post("alice", PW, await raw.token());
    const trail: string[] = [];
    while (response.location) {
      trail.push(new URL(response.location).pathname + new URL(response.location).search);
      response = await raw.send(response.location);
    }
    assert.deepEqual(trail, ["/moodle/login/index.php?testsession=3", "/moodle/course/view.php?id=12"]);
    assert.equal(response.status, 200);
    assert.equal(demo.counters.notLoggedIn, 1);
  });
});

Deno.test("flagged users are sent where Moodle sends them", async () => {
  const flagged = [
    { username: "forced", password: PW, forcePasswordChange: true },
    { username: "incomplete", password: PW, profileIncomplete: true },
    { username: "nopolicy", password: PW, policyNotAccepted: true },
    { username: "visitor", password: PW, notEnrolled: true },
  ];
  await withDemo({ users: flagged }, async (demo) => {
    const landing = async (name: string, path: string) => {
      const raw = new Raw(demo);
      await raw.login(name);
      const response = await raw.send(path);
      return response.location
        ? new URL(response.location).pathname + new URL(response.location).search
        : "200";
    };
    assert.equal(await landing("forced", "/my/"), "/login/change_password.php");
    assert.equal(await landing("incomplete", "/my/"), "/user/edit.php");
    assert.equal(await landing("nopolicy", "/my/"), "/user/policy.php");
    assert.equal(await landing("visitor", "/course/view.php?id=9"), "/enrol/index.php?id=9");
    assert.equal(await landing("visitor", "/my/"), "200");
  });
});

Deno.test("logout needs the sesskey; without it a confirmation page changes nothing", async () => {
  await withDemo({ users }, async (demo) => {
    const raw = new Raw(demo);
    await raw.login("alice");
    const page = await raw.send("/my/");
    const sesskey = /"sesskey":"([A-Za-z0-9]+)"/.exec(page.text)![1];
    const confirm = await raw.send("/login/logout.php");
    assert.equal(confirm.status, 200);
    assert.match(confirm.text, /Do you really want to log out\?/);
    assert.equal((await raw.send("/my/")).status, 200, "still logged in");
    const out = await raw.send(`/login/logout.php?sesskey=${sesskey}`);
    assert.deepEqual([out.status, out.location], [303, `${demo.url}/`]);
    assert.equal((await raw.send("/my/")).status, 303);
    assert.equal(demo.counters.logouts, 1);
  });
});

Deno.test("requests sharing a session run one after another; other sessions do not wait", async () => {
  await withDemo({ users, latencyMs: 150, pageBytes: 10_000 }, async (demo) => {
    const a = new Raw(demo);
    const b = new Raw(demo);
    await a.login("alice");
    await b.login("bob");
    const waits = async (clients: Raw[]) => {
      const started = performance.now();
      const pages = await Promise.all(clients.map((client) => client.send("/my/")));
      const elapsed = performance.now() - started;
      return { elapsed, waits: pages.map((page) => parsePerfFooter(page.text)?.sessionWaitSec ?? -1).sort() };
    };
    const same = await waits([a, a]);
    assert.ok(same.elapsed >= 290, `two requests on one session took ${same.elapsed} ms`);
    assert.ok(same.waits[0] < 0.05 && same.waits[1] >= 0.12, `session waits ${same.waits}`);
    const apart = await waits([a, b]);
    assert.ok(apart.waits[1] < 0.05, `different sessions waited ${apart.waits}`);
    assert.ok(demo.counters.sessionWaits >= 1);
  });
});

Deno.test("session expiry: idle past the timeout, or expireAllSessions()", async () => {
  await withDemo({ users, sessionTtlSec: 1 }, async (demo) => {
    const raw = new Raw(demo);
    await raw.login("alice");
    assert.equal((await raw.send("/my/")).status, 200);
    await new Promise((resolve) => setTimeout(resolve, 1300));
    const lost = await raw.send("/my/");
    assert.equal(lost.status, 303);
    assert.match((await raw.send("/login/index.php")).text, /Your session has timed out/);
  });
  await withDemo({ users }, async (demo) => {
    const raw = new Raw(demo);
    await raw.login("alice");
    assert.ok(demo.sessions.active >= 1);
    assert.ok(demo.expireAllSessions() >= 1);
    assert.equal((await raw.send("/my/")).location, `${demo.url}/login/index.php`);
  });
});

Deno.test("injected 5xx: seeded rate reproduces the same failures; slow responses take longer", async () => {
  const statuses = async (seed: number) => {
    let list: number[] = [];
    await withDemo({ users, errorRate: 0.3, seed, pageBytes: 2_000 }, async (demo) => {
      for (let i = 0; i < 60; i++) {
        const response = await fetch(`${demo.url}/login/index.php`);
        await response.body?.cancel();
        list.push(response.status);
      }
      assert.equal(demo.counters.injectedErrors, list.filter((status) => status === 503).length);
    });
    list = list.map((status) => (status === 503 ? 1 : 0));
    return list.join("");
  };
  const first = await statuses(7);
  assert.equal(await statuses(7), first);
  assert.notEqual(await statuses(8), first);
  const failures = [...first].filter((c) => c === "1").length;
  assert.ok(failures >= 6 && failures <= 36, `${failures}/60 injected`);

  await withDemo({ users, slowRate: 1, slowMs: 200, loginPageBytes: 1_000 }, async (demo) => {
    const started = performance.now();
    const response = await fetch(`${demo.url}/login/index.php`);
    await response.body?.cancel();
    assert.ok(performance.now() - started >= 190);
    assert.equal(demo.counters.slowResponses, 1);
  });
});

Deno.test("pages have the configured size and a performance footer reflecting the work done", async () => {
  await withDemo(
    { users, latencyByPath: { "/course/view.php": 120 }, pageBytesByPath: { "/my/": 50_000 } },
    async (demo) => {
      const raw = new Raw(demo);
      await raw.login("alice");
      const course = await raw.send("/course/view.php?id=2");
      const size = new TextEncoder().encode(course.text).length;
      assert.ok(size > 145_000 && size <= 151_000, `course page ${size} bytes`);
      const my = await raw.send("/my/");
      assert.ok(my.text.length > 45_000 && my.text.length <= 51_000, `dashboard ${my.text.length} bytes`);
      const coursePerf = parsePerfFooter(course.text)!;
      const myPerf = parsePerfFooter(my.text)!;
      assert.ok(coursePerf.timeUsedSec! >= 0.11, `time used ${coursePerf.timeUsedSec}`);
      assert.ok(myPerf.timeUsedSec! < coursePerf.timeUsedSec!);
      assert.ok(coursePerf.dbReads! > myPerf.dbReads!);
      assert.ok(
        coursePerf.memoryUsedBytes! > 1_000_000 && coursePerf.memoryPeakBytes! > coursePerf.memoryUsedBytes!,
      );
      // Redirects carry no footer.
      assert.doesNotMatch((await raw.send("/")).text, /performanceinfo/);
    },
  );
  await withDemo({ users, perfdebug: false, pageBytes: 3_000 }, async (demo) => {
    const raw = new Raw(demo);
    await raw.login("alice");
    assert.doesNotMatch((await raw.send("/my/")).text, /performanceinfo/);
  });
});

Deno.test("lockout: N wrong passwords lock the account, login_lockout_ignored exempts", async () => {
  const accounts = [{ username: "alice", password: PW }, {
    username: "bob",
    password: PW,
    lockoutIgnored: true,
  }];
  await withDemo({ users: accounts, lockoutThreshold: 2 }, async (demo) => {
    for (const name of ["alice", "bob"]) {
      const raw = new Raw(demo);
      for (let i = 0; i < 2; i++) await raw.post(name, "wrong", await raw.token());
    }
    assert.equal(demo.account("alice")!.locked, true);
    assert.equal(await new Raw(demo).login("alice"), "200 error");
    assert.equal(await new Raw(demo).login("bob"), "200 page");
    assert.equal(demo.account("bob")!.failedCount, 0, "a success clears the counter");
  });
});

Deno.test("demoRunConfig: a valid config whose every URL and user works against the server", async () => {
  await withDemo({ sitePath: "/moodle", users, pageBytes: 5_000 }, async (demo) => {
    const config = validateConfig(
      demoRunConfig({ url: demo.url, users, rpm: 600, duration: "20s", seed: 3 }),
    );
    assert.equal(config.base_url, demo.url);
    for (const user of config.users) {
      const raw = new Raw(demo);
      assert.equal(await raw.login(user.username, user.password), "200 page");
      for (const url of config.urls) {
        const path = url.path.replace(/\{(\w+)\}/g, (_, name: string) => {
          const parameter = config.parameters[name];
          return String("max" in parameter ? parameter.max : "");
        });
        assert.equal((await raw.send(path)).status, 200, path);
      }
    }
  });
});

Deno.test("already logged in: the login page offers logout instead of a form; token.php needs web services", async () => {
  await withDemo({ users }, async (demo) => {
    const raw = new Raw(demo);
    await raw.login("alice");
    const page = await raw.send("/login/index.php");
    assert.equal(page.status, 200);
    assert.match(page.text, /You are already logged in as Alice/);
    assert.doesNotMatch(page.text, /id="login"/);
    const token = await raw.send("/login/token.php", {
      username: "alice",
      password: PW,
      service: "moodle_mobile_app",
    });
    assert.equal(token.status, 200);
    assert.equal(JSON.parse(token.text).errorcode, "enablewsdescription");
  });
});

Deno.test("detours as a real Moodle 4.3 answers them (docs/moodle-protocol.md)", async () => {
  const flagged = [...users, { username: "forced", password: PW, forcePasswordChange: true }];
  await withDemo({ users: flagged }, async (demo) => {
    // A forced password change skips the testsession hop.
    const forced = new Raw(demo);
    const post = await forced.post("forced", PW, await forced.token());
    assert.deepEqual([post.status, post.location], [303, `${demo.url}/login/change_password.php`]);

    const raw = new Raw(demo);
    await raw.login("alice");
    // Sesskey errors and bad ids are moodle_exceptions: 404 themed error pages, not redirects.
    for (
      const [form, message] of [
        [{ reply: "3" }, "A required parameter (sesskey) was missing"],
        [
          { reply: "3", sesskey: "WRONGWRONG" },
          "Your session has most likely timed out. Please log in again.",
        ],
      ] as const
    ) {
      const page = await raw.send("/mod/forum/post.php", form);
      assert.equal(page.status, 404);
      assert.match(page.text, /<body id="page-mod-forum-post"/);
      assert.match(page.text, /<div data-rel="fatalerror" class="box py-3 errorbox alert alert-danger">/);
      assert.ok(page.text.includes(`<p class="errormessage">${message}</p>`), message);
      assert.match(page.text, /class="performanceinfo/);
    }
    assert.match((await raw.send("/mod/page/view.php")).text, /errormessage">Invalid course module ID/);
    const missing = await raw.send("/no/such/script.php");
    assert.deepEqual([missing.status, missing.text], [404, "File not found.\n"]);

    // Any cookie without a session is "timed out", as when the session row was deleted.
    const stale = new Raw(demo);
    stale.cookie = "nosuchsession";
    const lost = await stale.send("/my/");
    assert.equal(lost.status, 303);
    assert.match((await stale.send("/login/index.php")).text, /Your session has timed out/);
  });
});
