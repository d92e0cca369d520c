/**
 * The CLI against a REAL Moodle 4.3 site (tests/helpers/real_moodle.ts starts it with the shared kit;
 * docs/moodle-protocol.md records what the site does). One site serves the whole suite; the tests
 * run in file order and build on each other the way a user would: `users` sets the passwords and
 * writes the config that `run`, `bench` and the rest then use.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { cliCommand, runCli } from "./helpers/cli.ts";
import {
  REAL_MOODLE_USERS,
  type RealCourse,
  type RealMoodle,
  realMoodle,
  sql,
} from "./helpers/real_moodle.ts";
import { requireService } from "./helpers/services.ts";

const { site, availability } = await realMoodle();
const service = requireService("a real Moodle site (../shared/moodle/start-moodle)", availability);

function need(): RealMoodle {
  if (!site) throw new Error(`the real Moodle site did not start: ${availability.reason}`);
  return site;
}

/** A fresh password per suite run, so a login that succeeds proves `users` set it just now. */
const PASSWORD = `Load-${crypto.randomUUID().slice(0, 8)}-1`;
const ROWS = ["mdl_user", "mdl_course", "mdl_course_modules", "mdl_forum_posts"];

async function rowCounts(moodle: RealMoodle): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const table of ROWS) {
    counts[table] = (await sql<{ n: number }>(moodle, `SELECT count(*)::int AS n FROM ${table}`))[0].n;
  }
  return counts;
}

function mainCourse(moodle: RealMoodle): RealCourse {
  const course = moodle.courses.find((c) => c.id === moodle.main_course_id);
  assert.ok(course, `course ${moodle.main_course_id} in the kit's JSON`);
  return course;
}

/** A `parameters` range over ids the JSON lists; the ids must be contiguous or the range hits others. */
function range(ids: number[]): { min: number; max: number } {
  const min = Math.min(...ids), max = Math.max(...ids);
  assert.equal(ids.length, max - min + 1, `contiguous ids ${ids}`);
  return { min, max };
}

/** The run config: pages every enrolled student of the main course can see. */
function siteConfig(moodle: RealMoodle, urls?: unknown[]): Record<string, unknown> {
  const course = mainCourse(moodle);
  return {
    base_url: moodle.base_url,
    login_path: moodle.login_path,
    parameters: {
      page: range(course.cmids.page),
      assign: range(course.cmids.assign),
      discussion: range(course.forum_discussion_ids),
    },
    urls: urls ?? [
      { path: "/my/", name: "dashboard" },
      { path: `/course/view.php?id=${course.id}`, name: "course_view" },
      { path: "/mod/page/view.php?id={page}", name: "page_view", weight: 3 },
      { path: `/mod/forum/view.php?id=${course.cmids.forum[0]}`, name: "forum_view" },
      { path: "/mod/forum/discuss.php?d={discussion}", name: "discussion" },
      { path: "/mod/assign/view.php?id={assign}", name: "assign_view" },
    ],
    db: { url: moodle.db.url },
  };
}

const workDir = await Deno.makeTempDir({ prefix: "moodle_load_real_" });
// Configs (with passwords), dumps and run directories go when the test process ends.
globalThis.addEventListener("unload", () => Deno.removeSync(workDir, { recursive: true }));
const configPath = join(workDir, "site.json");

/** `users` once for the suite: the config every later test loads (its `users` array is written by it). */
let usersRun: Promise<{ code: number; stdout: string; stderr: string }> | undefined;
function setPasswords(moodle: RealMoodle) {
  usersRun ??= (async () => {
    await Deno.writeTextFile(configPath, JSON.stringify({ ...siteConfig(moodle), users: [] }, null, 2));
    return await runCli([
      "users",
      "--count",
      String(REAL_MOODLE_USERS),
      "--password",
      PASSWORD,
      "--config",
      configPath,
      "--db-url",
      moodle.db.url,
    ]);
  })();
  return usersRun;
}

/** Write a variant of the suite config (same users) and return its path. */
interface Config extends Record<string, unknown> {
  users: { username: string; password: string }[];
}

async function variant(name: string, change: (config: Config) => void): Promise<string> {
  const config = JSON.parse(await Deno.readTextFile(configPath)) as Config;
  change(config);
  const path = join(workDir, `${name}.json`);
  await Deno.writeTextFile(path, JSON.stringify(config, null, 2));
  return path;
}

/** The summary `run --json` prints (only it is on stdout). */
function summaryOf(stdout: string) {
  return JSON.parse(stdout);
}

Deno.test({
  name: "users: real tool_generator users get the new password and usable accounts; the real login succeeds",
  ...service,
  fn: async () => {
    const moodle = need();
    const first = moodle.users.first_id;
    // Break what `users` must repair: a suspended account, a forced password change, a stale hash.
    await sql(moodle, "UPDATE mdl_user SET suspended = 1, password = 'stale' WHERE id = $1", [first]);
    await sql(moodle, "DELETE FROM mdl_user_preferences WHERE userid = $1 AND name = $2", [
      first + 1,
      "auth_forcepasswordchange",
    ]);
    await sql(moodle, "INSERT INTO mdl_user_preferences (userid, name, value) VALUES ($1, $2, '1')", [
      first + 1,
      "auth_forcepasswordchange",
    ]);
    const result = await setPasswords(moodle);
    assert.equal(result.code, 0, result.stderr);
    const config = JSON.parse(await Deno.readTextFile(configPath));
    assert.equal(config.users.length, REAL_MOODLE_USERS);
    assert.ok(config.users.every((u: { password: string }) => u.password === PASSWORD));
    assert.equal(config.users[0].username, "tool_generator_000001");
    const [row] = await sql<{ suspended: number; password: string }>(
      moodle,
      "SELECT suspended, password FROM mdl_user WHERE id = $1",
      [first],
    );
    assert.equal(row.suspended, 0);
    assert.match(row.password, /^\$6\$rounds=10000\$/, "Moodle 4.3 gets SHA-512 crypt");
    const forced = await sql(moodle, "SELECT 1 FROM mdl_user_preferences WHERE userid = $1 AND name = $2", [
      first + 1,
      "auth_forcepasswordchange",
    ]);
    assert.equal(forced.length, 0, "the forced password change is cleared");

    // The real login form accepts the new password for both repaired users …
    const two = await variant("two", (c) => (c.users = c.users.slice(0, 2)));
    const login = await runCli([
      "run",
      "--config",
      two,
      "--rpm",
      "60",
      "--duration",
      "1",
      "--quiet",
      "--json",
    ]);
    assert.equal(login.code, 0, login.stderr);
    assert.equal(summaryOf(login.stdout).login.logged_in, 2);
    // … and refuses the kit's old one: exit 3, the reason named.
    const old = await variant("old", (c) => {
      c.users = [{ username: "tool_generator_000001", password: moodle.users.password }];
    });
    const refused = await runCli(["run", "--config", old, "--rpm", "60", "--duration", "1", "--quiet"]);
    assert.equal(refused.code, 3, refused.stdout + refused.stderr);
    assert.match(refused.stdout + refused.stderr, /wrong_credentials|Invalid login/);
  },
});

/** `db snapshot` of the real database once for the suite (the bench test restores it again). */
let snapshotRun: Promise<string> | undefined;
function snapshot(moodle: RealMoodle): Promise<string> {
  snapshotRun ??= (async () => {
    const dump = join(workDir, "moodle.dump");
    const result = await runCli(["db", "snapshot", "--db-url", moodle.db.url, "--out", dump]);
    assert.equal(result.code, 0, result.stderr);
    return dump;
  })();
  return snapshotRun;
}

/** The login page answers 200 with a logintoken: Moodle runs on the database as it is now. */
async function servesLoginPage(moodle: RealMoodle): Promise<void> {
  const response = await fetch(`${moodle.base_url}${moodle.login_path}`);
  const html = await response.text();
  assert.equal(response.status, 200);
  assert.match(html, /<body\s+id="page-login-index"/);
  assert.match(html, /name="logintoken" value="[A-Za-z0-9]{32}"/);
}

Deno.test({
  name: "db snapshot / db restore of the real Moodle database: row counts identical, the site still serves",
  ...service,
  fn: async () => {
    const moodle = need();
    await setPasswords(moodle);
    const before = await rowCounts(moodle);
    assert.ok(before.mdl_forum_posts > 0 && before.mdl_course_modules > 0, JSON.stringify(before));
    const dump = await snapshot(moodle);
    // Dirty every table the counts watch, as a load run or a test would.
    await sql(moodle, "DELETE FROM mdl_forum_posts WHERE id IN (SELECT id FROM mdl_forum_posts LIMIT 3)");
    await sql(moodle, "DELETE FROM mdl_course_modules WHERE id = (SELECT max(id) FROM mdl_course_modules)");
    await sql(moodle, "UPDATE mdl_user SET firstname = 'dirty' WHERE id = $1", [moodle.users.first_id]);
    assert.notDeepEqual(await rowCounts(moodle), before);

    const restored = await runCli([
      "db",
      "restore",
      "--db-url",
      moodle.db.url,
      "--dump",
      dump,
      "--jobs",
      "4",
    ]);
    assert.equal(restored.code, 0, restored.stderr);
    assert.match(restored.stdout + restored.stderr, /restored from/);
    assert.deepEqual(await rowCounts(moodle), before);
    const [user] = await sql<{ firstname: string }>(moodle, "SELECT firstname FROM mdl_user WHERE id = $1", [
      moodle.users.first_id,
    ]);
    assert.notEqual(user.firstname, "dirty");
    await servesLoginPage(moodle);
  },
});

/** Capture pg-stats beside a run: the real Moodle's own database traffic must show in it. */
function pgStats(moodle: RealMoodle, outdir: string, seconds: number): Deno.ChildProcess {
  const args = ["pg-stats", "--db-url", moodle.db.url, "--interval", "1", "--duration", String(seconds)];
  return cliCommand([...args, "--outdir", outdir, "--tag", "real"]).spawn();
}

async function csvRows(dir: string, pattern: RegExp): Promise<Record<string, string>[]> {
  const name = [...Deno.readDirSync(dir)].map((e) => e.name).find((n) => pattern.test(n));
  assert.ok(name, `${pattern} in ${dir}`);
  const [header, ...lines] = (await Deno.readTextFile(join(dir, name))).trim().split("\n");
  const keys = header.split(",");
  return lines.map((line) => Object.fromEntries(line.split(",").map((v, i) => [keys[i], v])));
}

Deno.test({
  name:
    `run: ${REAL_MOODLE_USERS} real users log in and load the main course's pages with zero failures; pg-stats sees it`,
  ...service,
  fn: async () => {
    const moodle = need();
    await setPasswords(moodle);
    const stats = join(workDir, "run-stats");
    const capture = pgStats(moodle, stats, 12);
    const result = await runCli([
      "run",
      "--config",
      configPath,
      // 4 requests/s: far below the site's ~30/s on an idle 2-core machine, so a busy CI machine
      // slows the run down but cannot make it fail.
      "--rpm",
      "240",
      "--duration",
      "8",
      "--concurrency",
      "8",
      "--login-concurrency",
      "8",
      "--seed",
      "11",
      "--quiet",
      "--json",
      "--stats-dir",
      stats,
    ]);
    const captured = await capture.output();
    assert.equal(result.code, 0, result.stderr);
    const summary = summaryOf(result.stdout);
    assert.equal(summary.login.logged_in, REAL_MOODLE_USERS, JSON.stringify(summary.login.failed));
    assert.equal(summary.failures, 0, JSON.stringify(summary.errors));
    assert.deepEqual(Object.keys(summary.status_codes), ["200"]);
    assert.ok(summary.total >= 16, `total ${summary.total} of 32 due`);
    const names = summary.endpoints.map((e: { name: string }) => e.name).sort();
    assert.deepEqual(names, [
      "assign_view",
      "course_view",
      "dashboard",
      "discussion",
      "forum_view",
      "page_view",
    ]);
    // perfdebug is on: every page's footer was read (real DB reads, real time used).
    assert.equal(summary.moodle_perf.pages, summary.total);
    assert.ok(summary.moodle_perf.db_reads_mean > 5, JSON.stringify(summary.moodle_perf));

    assert.equal(captured.code, 0, new TextDecoder().decode(captured.stderr));
    const rows = await csvRows(stats, /^pg_moodle_.*_real\.csv$/);
    assert.ok(rows.length >= 10, `${rows.length} pg-stats rows`);
    assert.ok(rows.some((r) => Number(r.commits_per_s) > 1), "Moodle's commits show in pg-stats");
    assert.ok(rows.some((r) => Number(r.tup_fetched_per_s) > 0));
  },
});

/** Usernames of the first `count` suite users and their ids (the kit numbers them from first_id). */
function firstUsers(moodle: RealMoodle, count: number): number[] {
  return Array.from({ length: count }, (_, i) => moodle.users.first_id + i);
}

/** Wait until every one of `ids` has a Moodle session newer than `afterId` (logged in by the run). */
async function waitForSessions(moodle: RealMoodle, ids: number[], afterId: number): Promise<void> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const [row] = await sql<{ n: number }>(
      moodle,
      "SELECT count(DISTINCT userid)::int AS n FROM mdl_sessions WHERE id > $1 AND userid = ANY($2)",
      [afterId, ids],
    );
    if (row.n === ids.length) return;
    if (Date.now() > deadline) throw new Error(`only ${row.n} of ${ids.length} users logged in`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

Deno.test({
  name:
    "run: sessions killed server-side (mdl_sessions rows deleted) are counted as session_lost and re-logged in",
  ...service,
  fn: async () => {
    const moodle = need();
    await setPasswords(moodle);
    const users = 4;
    const ids = firstUsers(moodle, users);
    // Pages behind require_login only: "/" answers 200 to a visitor too (see the ignored test below).
    const config = await variant("lost", (c) => {
      c.users = c.users.slice(0, users);
      c.urls = [{ path: "/my/", name: "dashboard" }, {
        path: "/mod/page/view.php?id={page}",
        name: "page_view",
      }];
    });
    const [{ max }] = await sql<{ max: number }>(
      moodle,
      "SELECT coalesce(max(id), 0)::int AS max FROM mdl_sessions",
    );
    const child = cliCommand([
      "run",
      "--config",
      config,
      "--rpm",
      "120",
      "--duration",
      "12",
      "--seed",
      "5",
      "--quiet",
      "--json",
    ]).spawn();
    await waitForSessions(moodle, ids, max);
    await new Promise((resolve) => setTimeout(resolve, 3000)); // into the measured phase
    const deleted = await sql(moodle, "DELETE FROM mdl_sessions WHERE userid = ANY($1) RETURNING id", [ids]);
    assert.ok(deleted.length >= users);
    const output = await child.output();
    const stderr = new TextDecoder().decode(output.stderr);
    assert.equal(output.code, 0, stderr);
    const summary = summaryOf(new TextDecoder().decode(output.stdout));
    const lost = summary.errors.session_lost ?? 0;
    // Each user loses its session once: the next request lands on the login page, then it logs in again.
    assert.ok(lost >= 1 && lost <= users, `session_lost ${lost}: ${JSON.stringify(summary.errors)}`);
    assert.equal(summary.failures, lost, "nothing else failed");
    assert.equal(summary.login.relogins, lost);
    assert.ok(summary.success > lost, "the users went on after logging in again");
  },
});

Deno.test({
  name: "bench on the real site: restore → load → run directory with manifest, pg-stats and report",
  ...service,
  fn: async () => {
    const moodle = need();
    await setPasswords(moodle);
    const dump = await snapshot(moodle);
    const config = await variant("bench", (c) => (c.users = c.users.slice(0, 8)));
    await sql(moodle, "UPDATE mdl_user SET firstname = 'dirty' WHERE id = $1", [moodle.users.first_id]);
    const runs = join(workDir, "runs");
    const result = await runCli([
      "bench",
      "--config",
      config,
      "--restore",
      dump,
      "--db-url",
      moodle.db.url,
      "--pg-stats",
      "--rpm",
      "180",
      "--duration",
      "5",
      "--seed",
      "3",
      "--quiet",
      "--tag",
      "real",
      "--out",
      runs,
      "--threshold",
      "error_rate<1%",
    ]);
    assert.equal(result.code, 0, result.stderr);
    const [user] = await sql<{ firstname: string }>(moodle, "SELECT firstname FROM mdl_user WHERE id = $1", [
      moodle.users.first_id,
    ]);
    assert.notEqual(user.firstname, "dirty", "the database was restored before the load");
    const runDir = join(runs, [...Deno.readDirSync(runs)].find((e) => e.name.endsWith("_real"))!.name);
    const manifest = JSON.parse(await Deno.readTextFile(join(runDir, "manifest.json")));
    assert.ok(
      manifest.steps.every((s: { status: string }) => s.status === "ok"),
      JSON.stringify(manifest.steps),
    );
    assert.deepEqual(manifest.steps.map((s: { name: string }) => s.name), [
      "restore",
      "capture start",
      "load",
      "capture stop",
      "manifest",
      "report",
    ]);
    const files = [...Deno.readDirSync(runDir)].map((e) => e.name);
    const summaryFile = files.find((f) => /^load_summary_.*\.json$/.test(f));
    assert.ok(summaryFile, `${files}`);
    const summary = JSON.parse(await Deno.readTextFile(join(runDir, summaryFile)));
    assert.equal(summary.login.logged_in, 8);
    assert.equal(summary.failures, 0, JSON.stringify(summary.errors));
    assert.ok(summary.total > 0);
    assert.ok((await csvRows(runDir, /^pg_moodle_.*_real\.csv$/)).length >= 3, "pg-stats sampled the run");
    assert.match(await Deno.readTextFile(join(runDir, "report.html")), /dashboard/);
    await servesLoginPage(moodle);
  },
});

/*
 * Moodle's detours answer 200 at another page than the one asked for (docs/moodle-protocol.md,
 * "Detours"): regression tests for two verdicts the run once got wrong on the real site.
 */

Deno.test({
  // Was counted as a 200 success: the 303 to /enrol/index.php?id=N ("You cannot enrol yourself in
  // this course.") is a not_enrolled failure (src/moodle/detour.ts).
  name: "real Moodle: a course the user is not enrolled in is a not_enrolled failure, not a 200 success",
  fn: async () => {
    const moodle = need();
    await setPasswords(moodle);
    // Courses other than the main one have a single student: tool_generator_000001.
    const other = moodle.courses.find((c) => c.id !== moodle.main_course_id)!;
    const config = await variant("not_enrolled", (c) => {
      c.users = c.users.slice(1, 3);
      c.urls = [{ path: `/course/view.php?id=${other.id}`, name: "other_course" }];
    });
    const result = await runCli([
      "run",
      "--config",
      config,
      "--rpm",
      "120",
      "--duration",
      "3",
      "--quiet",
      "--json",
    ]);
    assert.equal(result.code, 0, result.stderr);
    const summary = summaryOf(result.stdout);
    assert.ok(summary.total > 0);
    assert.equal(summary.failures, summary.total, JSON.stringify(summary.status_codes));
    assert.equal(summary.errors.not_enrolled, summary.total, JSON.stringify(summary.errors));
  },
});

Deno.test({
  // Went unnoticed: after a session loss the front page "/" answers 200 to a visitor
  // (<body id="page-site-index" class="… notloggedin …">), no redirect to the login page.
  name: "real Moodle: a session lost while the user asks for / is counted as session_lost, then re-logged in",
  fn: async () => {
    const moodle = need();
    await setPasswords(moodle);
    const ids = firstUsers(moodle, 2);
    const config = await variant("front", (c) => {
      c.users = c.users.slice(0, 2);
      c.urls = [{ path: "/", name: "front_page" }];
    });
    const [{ max }] = await sql<{ max: number }>(
      moodle,
      "SELECT coalesce(max(id), 0)::int AS max FROM mdl_sessions",
    );
    const child = cliCommand([
      "run",
      "--config",
      config,
      "--rpm",
      "120",
      "--duration",
      "8",
      "--quiet",
      "--json",
    ])
      .spawn();
    await waitForSessions(moodle, ids, max);
    await new Promise((resolve) => setTimeout(resolve, 2000));
    await sql(moodle, "DELETE FROM mdl_sessions WHERE userid = ANY($1)", [ids]);
    const output = await child.output();
    assert.equal(output.code, 0, new TextDecoder().decode(output.stderr));
    const summary = summaryOf(new TextDecoder().decode(output.stdout));
    assert.ok((summary.errors.session_lost ?? 0) >= 1, JSON.stringify(summary.errors));
    assert.ok(summary.login.relogins >= 1, JSON.stringify(summary.login));
  },
});
