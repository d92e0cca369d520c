/**
 * `journey import-har` on a HAR recorded by a REAL browser (Debian's headless Chromium, driven by
 * npm:playwright-core, `recordHar`) on the REAL Moodle 4.3 kit: log in through the login form, open
 * a discussion, open the full reply form, type a reply into the TinyMCE editor, post it, log out.
 * Then the imported journey is run by `moodle-load run` against the same site with other users:
 * every step succeeds and every reported reply is in mdl_forum_posts exactly once.
 *
 * Users tool_generator_000057…60 (the recorder is the first) get a password of their own, so this
 * file does not depend on another real test's `users` run.
 * Under CI=true a missing Chromium or kit fails the test instead of skipping it (services.ts).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { runCli } from "./helpers/cli.ts";
import { type RealMoodle, realMoodle, sql } from "./helpers/real_moodle.ts";
import { requireService } from "./helpers/services.ts";
import { chromium } from "playwright-core";
import { CHROMIUM, CHROMIUM_ARGS, chromiumAvailability } from "./helpers/browser.ts";

const { site, availability } = await realMoodle();
const browserAvailability = chromiumAvailability();
const service = requireService("a real Moodle site and headless Chromium", {
  ok: availability.ok && browserAvailability.ok,
  reason: [availability.reason, browserAvailability.reason].filter(Boolean).join("; "),
});

const USERS = [
  "tool_generator_000057",
  "tool_generator_000058",
  "tool_generator_000059",
  "tool_generator_000060",
];
const PASSWORD = `Har-${crypto.randomUUID().slice(0, 8)}-1`;
const REPLY_TEXT = `A reply typed in a real browser ${crypto.randomUUID().slice(0, 8)}`;
const INLINE_TEXT = `An inline reply typed in a real browser ${crypto.randomUUID().slice(0, 8)}`;

/** Log in, open discussion `discussion`, reply through the full form, log out — recorded as a HAR. */
async function recordForumReply(moodle: RealMoodle, discussion: number, harPath: string): Promise<void> {
  // Only the site is reachable from the tests: Moodle's pages also ask a CDN for MathJax, which
  // fails at once here (and stays in the recording, as another host that import-har drops).
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [...CHROMIUM_ARGS, "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"],
    headless: true,
    timeout: 60_000,
  });
  try {
    const context = await browser.newContext({ recordHar: { path: harPath, content: "embed" } });
    const page = await context.newPage();
    page.setDefaultTimeout(60_000);
    await page.goto(`${moodle.base_url}${moodle.login_path}`);
    await page.fill("#username", USERS[0]);
    await page.fill("#password", PASSWORD);
    await Promise.all([
      page.waitForURL(/\/my\//, { waitUntil: "domcontentloaded" }),
      page.click("#loginbtn"),
    ]);
    await page.goto(`${moodle.base_url}/mod/forum/discuss.php?d=${discussion}`);
    // The discussion's "Reply" link; a click opens the inline reply, its target is the full form.
    const reply = await page.getAttribute('a[href*="post.php?reply="]', "href");
    assert.ok(reply, "a reply link on the discussion");
    await page.goto(new URL(reply, page.url()).href);
    await page.fill("#id_message", REPLY_TEXT);
    await Promise.all([
      page.waitForURL(/discuss\.php/, { waitUntil: "domcontentloaded" }),
      page.click("#id_submitbutton"),
    ]);
    // Then the natural click: "Reply" opens the inline box, which posts through Moodle's AJAX web
    // service (mod_forum_add_discussion_post), not a form.
    await page.click('a[href*="post.php?reply="]');
    await page.fill('textarea[name="post"]', INLINE_TEXT);
    await Promise.all([
      page.waitForResponse(/mod_forum_add_discussion_post/),
      page.click('button[data-action="forum-inpage-submit"]'),
    ]);
    // Moodle's script then renders the new post and moves to it; a navigation started before that
    // settles is aborted by it (net::ERR_ABORTED on the logout, seen in CI).
    await page.getByText(INLINE_TEXT).first().waitFor();
    await page.waitForLoadState("networkidle");
    const sesskey = await page.evaluate(() =>
      (globalThis as unknown as { M: { cfg: { sesskey: string } } }).M.cfg.sesskey
    );
    await page.goto(`${moodle.base_url}/login/logout.php?sesskey=${sesskey}`);
    await context.close(); // writes the HAR
  } finally {
    await browser.close();
  }
}

Deno.test({
  name:
    "import-har on a real Chromium recording of a real Moodle forum reply: the journey replays, every reply stored once",
  ...service,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    if (!site) throw new Error(`the real Moodle site did not start: ${availability.reason}`);
    const dir = await Deno.makeTempDir({ prefix: "moodle_load_har_real_" });
    try {
      const configPath = join(dir, "config.json");
      await Deno.writeTextFile(
        configPath,
        JSON.stringify({ base_url: site.base_url, login_path: site.login_path, urls: [], users: [] }),
      );
      const users = await runCli([
        ...["users", "--usernames", USERS.join(","), "--password", PASSWORD],
        ...["--config", configPath, "--db-url", site.db.url],
      ]);
      assert.equal(users.code, 0, users.stderr);

      const discussion = site.courses.find((c) => c.id === site.main_course_id)!.forum_discussion_ids[0];
      // The recorder writes in the plain text area (a user preference): typing into TinyMCE's 3 MB of
      // scripts is what a busy 2-core CI machine cannot do reliably, and the form posted is the same.
      await sql(
        site,
        "DELETE FROM mdl_user_preferences WHERE name = 'htmleditor' AND userid = (SELECT id FROM mdl_user WHERE username = $1)",
        [USERS[0]],
      );
      await sql(
        site,
        "INSERT INTO mdl_user_preferences (userid, name, value) SELECT id, 'htmleditor', 'textarea' FROM mdl_user WHERE username = $1",
        [USERS[0]],
      );
      const harPath = join(dir, "reply.har");
      await recordForumReply(site, discussion, harPath);
      const har = await Deno.readTextFile(harPath);
      assert.ok(har.includes(PASSWORD), "the recording holds the typed password (so dropping it is tested)");
      const recorded = await sql<{ n: number }>(
        site,
        "SELECT count(*)::int AS n FROM mdl_forum_posts p JOIN mdl_user u ON u.id = p.userid WHERE u.username = $1 AND p.message LIKE $2",
        [USERS[0], `%${REPLY_TEXT}%`],
      );
      assert.equal(recorded[0].n, 1, "the browser's reply is stored");
      const inline = await sql<{ n: number }>(
        site,
        "SELECT count(*)::int AS n FROM mdl_forum_posts WHERE message LIKE $1",
        [`%${INLINE_TEXT}%`],
      );
      assert.equal(inline[0].n, 1, "the browser's inline reply is stored");

      const journeyPath = join(dir, "journey.json");
      const imported = await runCli([
        ...[
          "journey",
          "import-har",
          harPath,
          "--name",
          "reply",
          "--max-think-ms",
          "300",
          "--out",
          journeyPath,
        ],
      ]);
      assert.equal(imported.code, 0, imported.stderr);
      assert.match(imported.stderr, /Dropped: .*login \(done by the login phase\).*static asset or AJAX/);
      const journeyText = await Deno.readTextFile(journeyPath);
      for (const secret of [PASSWORD, USERS[0], "logintoken"]) {
        assert.ok(!journeyText.includes(secret), `${secret} is not in the journey`);
      }
      const { journeys } = JSON.parse(journeyText);
      const steps = journeys[0].steps as { name: string; path?: string; form?: { fields: object } }[];
      // After the inline reply Moodle's script may re-open the discussion (a document load the browser
      // records as "forum-discuss-2", depending on timing): a plain GET, kept, not asserted.
      const names = steps.map((s) => s.name).filter((name) => !/^forum-discuss-\d+$/.test(name));
      assert.deepEqual(names, [
        "forum-discuss",
        "forum-post",
        "forum-post-submit",
        "mod_forum_add_discussion_post",
        "login-logout",
      ]);
      // The sesskey and the draft item ids come from the page at run time, never from the recording.
      assert.ok(!/sesskey=[A-Za-z0-9]{10}/.test(journeyText), journeyText);
      assert.deepEqual(Object.keys(steps[2].form!.fields), ["message[text]"]);
      assert.match(
        steps[3].path!,
        /^\/lib\/ajax\/service\.php\?sesskey=\{sesskey\}&info=mod_forum_add_discussion_post$/,
      );
      assert.equal(steps.at(-1)!.path, "/login/logout.php?sesskey={sesskey}");

      const config = JSON.parse(await Deno.readTextFile(configPath));
      const replay = async (name: string, stepped: unknown) => {
        const path = join(dir, `${name}.json`);
        await Deno.writeTextFile(path, JSON.stringify({ ...config, journeys: stepped }));
        const [{ max: before }] = await sql<{ max: number }>(
          site,
          "SELECT coalesce(max(id), 0)::int AS max FROM mdl_forum_posts",
        );
        // 4 journeys in 4 s, one per user (the real site is slow on a busy CI machine: generous timeouts).
        const run = await runCli([
          ...["run", "--config", path, "--stats-dir", dir, "--rpm", "60", "--duration", "4"],
          ...["--seed", "7", "--request-timeout", "120", "--json", "--quiet"],
        ]);
        assert.equal(run.code, 0, run.stderr);
        const summary = JSON.parse(await Deno.readTextFile(JSON.parse(run.stdout).summary_file));
        const replies = async (text: string) =>
          (await sql<{ n: number }>(
            site,
            "SELECT count(*)::int AS n FROM mdl_forum_posts p JOIN mdl_user u ON u.id = p.userid " +
              "WHERE p.id > $1 AND p.discussion = $2 AND u.username = ANY($3) AND p.message LIKE $4",
            [before, discussion, USERS, `%${text}%`],
          ))[0].n;
        const step = (name: string) =>
          summary.endpoints.find((e: { name: string }) => e.name === `reply/${name}`);
        return { summary, step, form: await replies(REPLY_TEXT), inline: await replies(INLINE_TEXT) };
      };

      const good = await replay("replay", journeys);
      const journey = good.summary.journeys[0];
      assert.ok(journey.started >= 3, JSON.stringify(journey));
      assert.equal(journey.completed, journey.started, JSON.stringify(journey));
      assert.equal(good.summary.failures, 0, JSON.stringify(good.summary.error_reasons));
      // Every reported reply is stored exactly once, through the form and through the web service.
      assert.equal(good.step("forum-post-submit").success, journey.started);
      assert.equal(good.form, journey.started);
      assert.equal(good.step("mod_forum_add_discussion_post").success, journey.started);
      assert.equal(good.inline, journey.started);

      // A web-service call with a wrong sesskey: Moodle answers 200 with an error, the step fails.
      const wrong = structuredClone(journeys);
      wrong[0].steps[3].path = wrong[0].steps[3].path.replace("{sesskey}", "wrongsesskey");
      const bad = await replay("wrong", wrong);
      const call = bad.step("mod_forum_add_discussion_post");
      assert.equal(call.success, 0);
      assert.equal(call.failures, bad.summary.journeys[0].started);
      assert.equal(bad.inline, 0, "nothing posted with a wrong sesskey");
      assert.deepEqual(Object.keys(bad.summary.error_reasons), ["check_failed"]);
      assert.match(
        Object.keys(bad.summary.error_reasons.check_failed)[0],
        /^web service: Moodle answered an error/,
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
