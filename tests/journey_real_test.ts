/**
 * Journeys against the REAL Moodle 4.3 of the shared kit (tests/helpers/real_moodle.ts: skipped loudly
 * when it cannot start, a failure under CI=true): what the run reports is checked against what Moodle
 * stored in its PostgreSQL. Its own users (tool_generator_000061…80, outside the 60 that
 * real_moodle_test.ts gives another password) get a fresh password here, so no other test matters.
 */
import assert from "node:assert/strict";
import { runCli } from "./helpers/cli.ts";
import { type RealMoodle, realMoodle, sql } from "./helpers/real_moodle.ts";
import { requireService } from "./helpers/services.ts";
import {
  assertWrongSesskeyFailed,
  REPLY_SUBJECT,
  runJourneys,
  stepRow,
  writeConfig,
  wrongSesskeyJourney,
} from "./helpers/journeys.ts";

const { site, availability } = await realMoodle();
const service = requireService("a real Moodle site (../shared/moodle/start-moodle)", availability);
const PASSWORD = `Jrny-${crypto.randomUUID().slice(0, 8)}-1`;
/** tool_generator_000061 … 000080: enrolled in the main course, untouched by the other real tests. */
const USERNAMES = Array.from({ length: 20 }, (_, i) => `tool_generator_${String(61 + i).padStart(6, "0")}`);

function need(): RealMoodle {
  if (!site) throw new Error(`the real Moodle site did not start: ${availability.reason}`);
  return site;
}

/** A config for the main course with the test users (their password set by `users` just now). */
async function siteConfig(moodle: RealMoodle, extra: Record<string, unknown> = {}, count = USERNAMES.length) {
  const course = moodle.courses.find((c) => c.id === moodle.main_course_id)!;
  const written = await writeConfig({
    base_url: moodle.base_url,
    login_path: moodle.login_path,
    users: [],
    parameters: {
      courseid: { values: [course.id] },
      pageid: { values: course.cmids.page },
      forumid: { values: course.cmids.forum },
      discussionid: { values: course.forum_discussion_ids },
      discussion: { values: course.forum_discussion_ids },
    },
    ...extra,
  });
  const users = await runCli([
    "users",
    "--usernames",
    USERNAMES.slice(0, count).join(","),
    "--password",
    PASSWORD,
    "--config",
    written.path,
    "--db-url",
    moodle.db.url,
  ]);
  assert.equal(users.code, 0, users.stderr);
  return written;
}

async function userIds(moodle: RealMoodle): Promise<number[]> {
  const rows = await sql<{ id: number }>(moodle, "SELECT id::int FROM mdl_user WHERE username = ANY($1)", [
    USERNAMES,
  ]);
  assert.equal(rows.length, USERNAMES.length);
  return rows.map((r) => r.id);
}

async function lastPostId(moodle: RealMoodle): Promise<number> {
  return (await sql<{ max: number }>(moodle, "SELECT coalesce(max(id), 0)::int AS max FROM mdl_forum_posts"))[
    0
  ]
    .max;
}

/** Forum posts the test users wrote after post `afterId`. */
function newPosts(moodle: RealMoodle, afterId: number, ids: number[]) {
  return sql<{ id: number; subject: string; userid: number; parent: number }>(
    moodle,
    "SELECT id::int, subject, userid::int, parent::int FROM mdl_forum_posts WHERE id > $1 AND userid = ANY($2)",
    [afterId, ids],
  );
}

Deno.test({
  name:
    "real Moodle: moodle-testplan over 20 users at a fixed rate — mdl_forum_posts holds exactly the run's successful replies",
  ...service,
  fn: async () => {
    const moodle = need();
    // 2 journeys/s for 5 s (about 10 iterations), then 40 s without new ones: the journeys
    // under way finish inside the run instead of in the 15 s grace, even on a busy machine (a reply
    // abandoned there could be stored without the run knowing). At most 5 in progress: the site's
    // 8 php-fpm workers are never swamped.
    const { dir, path } = await siteConfig(moodle, {
      stages: [
        { duration: "0.5s", rpm: 120 },
        { duration: "5s", rpm: 120 },
        { duration: "0.5s", rpm: 0 },
        { duration: "40s", rpm: 0 },
      ],
    });
    const ids = await userIds(moodle);
    const before = await lastPostId(moodle);
    try {
      const summary = await runJourneys(
        path,
        "--journey",
        "moodle-testplan",
        "--concurrency",
        "5",
        "--login-concurrency",
        "8",
        "--seed",
        "13",
      );
      assert.equal(summary.login.logged_in, USERNAMES.length);
      assert.equal(summary.abandoned, 0, "a step still unanswered at the end: its outcome is unknown");
      const journey = summary.journeys[0];
      // The stages' integral: 0.5 (ramp up) + 10 (5 s at 2/s) + 0.5 (ramp down) journeys due.
      assert.equal(journey.started + summary.not_sent, 11, JSON.stringify(journey));
      assert.ok(journey.completed >= 3, JSON.stringify(journey));
      const reply = stepRow(summary, "moodle-testplan/reply");
      const logout = stepRow(summary, "moodle-testplan/logout");
      const posts = await newPosts(moodle, before, ids);
      // None missing, none extra: one row per successful reply step.
      assert.equal(posts.length, reply.success, JSON.stringify({ posts, reply, errors: summary.errors }));
      console.log(
        `moodle-testplan: ${journey.started} started, ${journey.completed} completed, ${reply.success} ` +
          `replies reported = ${posts.length} rows in mdl_forum_posts; not_sent ${summary.not_sent}`,
      );
      // Exactly once: each successful iteration's subject appears once.
      const iterations = posts.map((p) => Number(REPLY_SUBJECT.exec(p.subject)?.[1]));
      assert.ok(iterations.every(Number.isInteger), JSON.stringify(posts.map((p) => p.subject)));
      assert.equal(new Set(iterations).size, posts.length);
      assert.ok(posts.every((p) => p.parent > 0), "replies, not new discussions");
      assert.equal(reply.success + reply.failures, reply.total);
      // The logout really ended each session: the users logged in again for later iterations.
      assert.equal(logout.success, journey.completed);
    } finally {
      // The kit is kept between runs: its discussions must not grow with every run of the suite.
      await sql(moodle, "DELETE FROM mdl_forum_posts WHERE id > $1 AND userid = ANY($2)", [before, ids]);
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "real Moodle: a reply form posted and a logout sent with a WRONG sesskey are failures (404 moodle_error, check_failed), nothing stored",
  ...service,
  fn: async () => {
    const moodle = need();
    const { dir, path } = await siteConfig(moodle, { journeys: [wrongSesskeyJourney()] }, 4);
    try {
      const ids = await userIds(moodle);
      const before = await lastPostId(moodle);
      const summary = await runJourneys(
        path,
        "--rpm",
        "120",
        "--duration",
        "2",
        "--concurrency",
        "4",
        "--seed",
        "2",
      );
      assertWrongSesskeyFailed(summary);
      assert.deepEqual(await newPosts(moodle, before, ids), []);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
