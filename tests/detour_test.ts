/**
 * Moodle's detours are failures of a named class, never successes: the classifier on pages captured
 * from a real Moodle 4.3 (tests/fixtures/moodle/), and `run` through the CLI against the demo site.
 */
import assert from "node:assert/strict";
import { classifyDetour } from "../src/moodle/detour.ts";
import { reasonKey } from "../src/results/error_reasons.ts";
import { runCli } from "./helpers/cli.ts";
import { withDemo } from "./helpers/demo.ts";
import { DEFAULT_DEMO_PASSWORD } from "../src/demo/mod.ts";

const SITE = "http://127.0.0.1:18080";
const fixture = (name: string) =>
  Deno.readTextFileSync(new URL(`./fixtures/moodle/${name}`, import.meta.url));

/** [fixture, requested path, final path, status, expected class, message pattern] */
const CASES: [string, string, string, number, string | undefined, RegExp?][] = [
  [
    "enrol_index.html",
    "/course/view.php?id=2",
    "/enrol/index.php?id=2",
    200,
    "not_enrolled",
    /enrolment page/,
  ],
  ["enrol_index.html", "/mod/page/view.php?id=2", "/enrol/index.php?id=2", 200, "not_enrolled"],
  [
    "error_invalid_cmid.html",
    "/mod/page/view.php?id=999999",
    "/mod/page/view.php?id=999999",
    404,
    "moodle_error",
    /HTTP 404\): Invalid course module ID at/,
  ],
  [
    "error_invalid_course.html",
    "/course/view.php?id=999999",
    "/course/view.php?id=999999",
    404,
    "moodle_error",
    /Can't find data record in database table course\./,
  ],
  [
    "error_nopermissions.html",
    "/course/edit.php?id=4",
    "/course/edit.php?id=4",
    404,
    "moodle_error",
    /do not currently have permissions/,
  ],
  ["maintenance_message.html", "/my/", "/my/", 503, "maintenance", /maintenance mode \(HTTP 503/],
  ["climaintenance.html", "/my/", "/my/", 503, "maintenance"],
  ["user_policy.html", "/course/view.php?id=4", "/user/policy.php", 200, "policy", /policy/],
  [
    "change_password.html",
    "/course/view.php?id=4",
    "/login/change_password.php",
    200,
    "password_change",
    /password/,
  ],
  ["page_view_ok.html", "/mod/page/view.php?id=21", "/mod/page/view.php?id=21", 200, undefined],
  // Asking for the enrolment page itself is no detour.
  ["enrol_index.html", "/enrol/index.php?id=2", "/enrol/index.php?id=2", 200, undefined],
];

Deno.test("classifyDetour: pages captured from a real Moodle 4.3", () => {
  for (const [name, requested, final, status, errorClass, message] of CASES) {
    const detour = classifyDetour({
      requestedUrl: SITE + requested,
      finalUrl: SITE + final,
      status,
      head: fixture(name),
    });
    assert.equal(detour?.errorClass, errorClass, `${name} via ${requested}`);
    if (message) assert.match(detour!.message, message, name);
  }
});

Deno.test("classifyDetour: a web server's 404/503 (no Moodle page) is no detour", () => {
  for (const status of [404, 502, 503]) {
    const head = `<html><head><title>${status}</title></head><body><h1>${status}</h1></body></html>`;
    assert.equal(
      classifyDetour({ requestedUrl: `${SITE}/my/`, finalUrl: `${SITE}/my/`, status, head }),
      undefined,
    );
  }
});

Deno.test("reasonKey: one cause, one row (no host, query or byte counts)", () => {
  assert.equal(
    reasonKey("not enrolled: Moodle sent the user to the enrolment page (http://h:1/enrol/index.php?id=7)"),
    "not enrolled: Moodle sent the user to the enrolment page (/enrol/index.php)",
  );
  assert.equal(reasonKey("stopped after 1114112 bytes"), "stopped after N bytes");
  assert.equal(reasonKey("HTTP 404 at https://h/x.php?id=3"), "HTTP 404 at /x.php");
});

async function runAgainst(
  demo: { url: string },
  username: string,
  paths: string[],
  ...flags: string[]
) {
  const dir = await Deno.makeTempDir({ prefix: "moodle_load_detour_" });
  const config = `${dir}/config.json`;
  await Deno.writeTextFile(
    config,
    JSON.stringify({
      base_url: demo.url,
      users: [{ username, password: DEFAULT_DEMO_PASSWORD }],
      urls: paths.map((path) => ({ path })),
    }),
  );
  const result = await runCli([
    "run",
    "--config",
    config,
    "--rpm",
    "600",
    "--duration",
    "2",
    "--seed",
    "1",
    "--stats-dir",
    `${dir}/stats`,
    "--request-log",
    `${dir}/requests.jsonl`,
    ...flags,
  ]);
  assert.equal(result.code, 0, result.stderr);
  const summaryFile = [...Deno.readDirSync(`${dir}/stats`)].find((e) => e.name.endsWith(".json"))!;
  const summary = JSON.parse(await Deno.readTextFile(`${dir}/stats/${summaryFile.name}`));
  const requests = (await Deno.readTextFile(`${dir}/requests.jsonl`)).trim().split("\n").map((line) =>
    JSON.parse(line)
  );
  await Deno.remove(dir, { recursive: true });
  return { summary, requests, stdout: result.stdout };
}

Deno.test("run: a course the user is not enrolled in counts as not_enrolled failures, with the reason", async () => {
  const users = [{ username: "outsider", password: DEFAULT_DEMO_PASSWORD, notEnrolled: true }];
  await withDemo({ users, pageBytes: 5_000 }, async (demo) => {
    const { summary, requests, stdout } = await runAgainst(demo, "outsider", ["/course/view.php?id=7"]);
    assert.match(stdout, /not_enrolled +20 +not enrolled: Moodle sent the user to the enrolment page/);
    assert.equal(summary.total, 20);
    assert.equal(summary.success, 0);
    assert.deepEqual(summary.errors, { not_enrolled: 20 });
    assert.deepEqual(summary.error_reasons, {
      not_enrolled: { "not enrolled: Moodle sent the user to the enrolment page (/enrol/index.php)": 20 },
    });
    assert.equal(requests[0].error, "not_enrolled");
    assert.equal(requests[0].ok, false);
    assert.match(requests[0].reason, /enrolment page \(http:\/\/127\.0\.0\.1:\d+\/enrol\/index\.php\?id=7\)/);
  });
});

Deno.test("run --max-body 1M: larger pages fail as body_too_large, with their byte count", async () => {
  const users = [{ username: "student", password: DEFAULT_DEMO_PASSWORD }];
  await withDemo(
    { users, pageBytesByPath: { "/course/view.php": 3_000_000 }, pageBytes: 5_000 },
    async (demo) => {
      const { summary, requests } = await runAgainst(
        demo,
        "student",
        ["/course/view.php?id=2"],
        "--max-body",
        "1M",
      );
      assert.equal(summary.total, 20);
      assert.deepEqual(summary.errors, { body_too_large: 20 });
      assert.match(Object.keys(summary.error_reasons.body_too_large)[0], /larger than the N-byte limit/);
      assert.match(
        requests[0].reason,
        /larger than the 1048576-byte limit \(--max-body\): stopped after \d+ bytes/,
      );
      assert.ok(requests[0].bytes > 1_048_576 && requests[0].bytes < 3_000_000, `${requests[0].bytes}`);
    },
  );
});

Deno.test("demo site in maintenance: pages answer 503 with Moodle's message, and get() names it", async () => {
  const { createMoodleUser } = await import("../src/moodle/user.ts");
  const { createTransport } = await import("../src/moodle/transport/create.ts");
  const users = [{ username: "student", password: DEFAULT_DEMO_PASSWORD }];
  await withDemo({ users, maintenance: true }, async (demo) => {
    const transport = await createTransport();
    const user = createMoodleUser({ baseUrl: demo.url, username: "student", password: "x", transport });
    const page = await user.get(`${demo.url}/course/view.php?id=2`);
    assert.deepEqual([page.status, page.errorClass], [503, "maintenance"]);
    const login = await fetch(`${demo.url}/login/index.php`);
    await login.body?.cancel();
    assert.equal(login.status, 200);
    transport.close();
  });
});

Deno.test("login: a landing page over --max-body is not retried, and the login detours come from detour.ts", async () => {
  const { classifyLanding, failureFromError } = await import("../src/moodle/login_outcome.ts");
  const tooLarge = failureFromError("body_too_large", "response body larger than the 1024-byte limit");
  assert.deepEqual([tooLarge.reason, tooLarge.transient], ["unexpected_page", false]);
  const landing = (finalPath: string) =>
    classifyLanding({
      urls: [`${SITE}/login/index.php`],
      finalUrl: SITE + finalPath,
      status: 200,
      onLoginPage: false,
    });
  assert.equal(landing("/enrol/index.php").reason, "not_enrolled");
  assert.equal(landing("/user/policy.php").reason, "policy_not_accepted");
  assert.equal(landing("/login/change_password.php").reason, "password_change_forced");
  assert.equal(landing("/user/edit.php").reason, "profile_incomplete");
  assert.equal(landing("/my/").ok, true);
});

Deno.test("a page rendered for a visitor (body class notloggedin) means the session is gone", async () => {
  const { pageSaysLoggedOut } = await import("../src/moodle/detour.ts");
  const bytes = (name: string) => Deno.readFileSync(new URL(`./fixtures/moodle/${name}`, import.meta.url));
  assert.equal(pageSaysLoggedOut(bytes("front_page_visitor.html")), true);
  for (const loggedIn of ["page_view_ok.html", "enrol_index.html", "change_password.html"]) {
    assert.equal(pageSaysLoggedOut(bytes(loggedIn)), false, loggedIn);
  }
  const text = (html: string) => new TextEncoder().encode(html);
  assert.equal(pageSaysLoggedOut(text(`<body class="x">notloggedin in the text</body>`)), false);
  assert.equal(pageSaysLoggedOut(text(`<p>no body tag</p>`)), false);
});

Deno.test("session lost on /: the front page answers 200 to a visitor, get() says session_lost; logout() ends", async () => {
  const { createMoodleUser } = await import("../src/moodle/user.ts");
  const { createTransport } = await import("../src/moodle/transport/create.ts");
  const users = [{ username: "student", password: DEFAULT_DEMO_PASSWORD }];
  await withDemo({ users }, async (demo) => {
    const transport = await createTransport();
    const user = createMoodleUser({
      baseUrl: demo.url,
      username: "student",
      password: DEFAULT_DEMO_PASSWORD,
      transport,
    });
    assert.equal((await user.login()).ok, true);
    assert.equal((await user.get(`${demo.url}/my/`)).errorClass, undefined);
    demo.expireAllSessions();
    const front = await user.get(`${demo.url}/`);
    assert.deepEqual([front.status, front.sessionLost, front.errorClass], [200, true, "session_lost"]);
    assert.match(front.errorMessage ?? "", /visitor/);
    assert.equal((await user.login()).ok, true);
    // Logout: 303 to /, then the front page for a visitor (Moodle 4.3), which is the session ended.
    assert.equal(await user.logout(), true);
    transport.close();
  });
});
