/** Journeys end to end: the real CLI against the demo site, whose stored forum posts are counted. */
import assert from "node:assert/strict";
import { runCli } from "./helpers/cli.ts";
import { withDemo } from "./helpers/demo.ts";
import { defaultDemoUsers } from "../src/demo/mod.ts";
import { demoRunConfig } from "../src/demo/config.ts";

async function configFile(config: unknown): Promise<{ dir: string; path: string }> {
  const dir = await Deno.makeTempDir({ prefix: "moodle_load_journey_" });
  const path = `${dir}/config.json`;
  await Deno.writeTextFile(path, JSON.stringify(config));
  return { dir, path };
}

interface JourneyRun {
  summary: {
    journeys: { name: string; started: number; completed: number; failed: number; failed_by: unknown }[];
    endpoints: {
      name: string;
      total: number;
      success: number;
      failures: number;
      errors: Record<string, number>;
    }[];
    not_sent: number;
    login: { relogins: number };
  };
  stdout: string;
}

async function runJourney(dir: string, config: string, ...more: string[]): Promise<JourneyRun> {
  const result = await runCli([
    "run",
    "--config",
    config,
    "--stats-dir",
    dir,
    "--progress",
    "1",
    "--seed",
    "7",
    "--json",
    ...more,
  ]);
  assert.equal(result.code, 0, result.stderr);
  const printed = JSON.parse(result.stdout);
  const summary = JSON.parse(await Deno.readTextFile(printed.summary_file));
  return { summary, stdout: result.stdout };
}

Deno.test("journey forum-post against the demo: every successful reply step is one stored post", async () => {
  await withDemo({ users: defaultDemoUsers(6), pageBytes: 20_000, latencyMs: 2 }, async (demo) => {
    const base = demoRunConfig({ url: demo.url, users: defaultDemoUsers(6) });
    const { dir, path } = await configFile({
      ...base,
      parameters: { ...base.parameters, discussion: { values: [3, 4, 5] } },
    });
    const { summary } = await runJourney(
      dir,
      path,
      "--journey",
      "forum-post",
      "--rpm",
      "120",
      "--duration",
      "3",
    );
    const journey = summary.journeys[0];
    assert.equal(journey.name, "forum-post");
    assert.equal(journey.started, 6);
    assert.equal(journey.completed, 6, JSON.stringify(journey));
    const reply = summary.endpoints.find((e) => e.name === "forum-post/reply")!;
    assert.deepEqual(summary.endpoints.map((e) => e.name), [
      "forum-post/discussion",
      "forum-post/reply_form",
      "forum-post/reply",
    ]);
    assert.equal(reply.success, 6);
    assert.equal(demo.counters.forumPosts, reply.success);
  });
});

Deno.test("journey: a reply posted with a wrong sesskey is a failure, and nothing is stored", async () => {
  await withDemo({ users: defaultDemoUsers(2), pageBytes: 5_000 }, async (demo) => {
    const { dir, path } = await configFile({
      ...demoRunConfig({ url: demo.url, users: defaultDemoUsers(2) }),
      urls: [],
      parameters: { discussion: { values: [3] } },
      journeys: [{
        name: "bad",
        steps: [
          {
            name: "discussion",
            path: "/mod/forum/discuss.php?d={discussion}",
            extract: { post: { regex: "post\\.php\\?reply=(\\d+)" } },
          },
          {
            name: "reply",
            method: "POST",
            path: "/mod/forum/post.php",
            fields: {
              reply: "{post}",
              sesskey: "wrong{sesskey}",
              _qf__mod_forum_post_form: "1",
              subject: "Re: {iteration}",
              "message[text]": "{random_text:30}",
            },
            check: { url: "discuss\\.php\\?d=\\d+#p\\d+" },
          },
        ],
      }],
    });
    const { summary } = await runJourney(dir, path, "--rpm", "120", "--duration", "1");
    const journey = summary.journeys[0];
    assert.equal(journey.started, 2);
    assert.equal(journey.completed, 0);
    assert.equal(journey.failed, 2);
    const reply = summary.endpoints.find((e) => e.name === "bad/reply")!;
    assert.equal(reply.success, 0);
    assert.equal(reply.failures, 2);
    assert.deepEqual(reply.errors, { moodle_error: 2 }); // Moodle's 404 "session has most likely timed out"
    assert.equal(demo.counters.forumPosts, 0);
  });
});

Deno.test("journey moodle-testplan against the demo: Moodle HQ's plan, a reply per iteration, logout then re-login", async () => {
  await withDemo({ users: defaultDemoUsers(4), pageBytes: 10_000, latencyMs: 1 }, async (demo) => {
    const base = demoRunConfig({ url: demo.url, users: defaultDemoUsers(4) });
    const { dir, path } = await configFile({
      ...base,
      parameters: {
        ...base.parameters,
        courseid: { values: [4] },
        pageid: { min: 21, max: 70 },
        forumid: { values: [74] },
        discussionid: { min: 3, max: 12 },
      },
    });
    const logins = demo.counters.logins;
    const { summary } = await runJourney(
      dir,
      path,
      "--journey",
      "moodle-testplan",
      "--rpm",
      "120",
      "--duration",
      "4",
    );
    const journey = summary.journeys[0];
    assert.equal(journey.name, "moodle-testplan");
    assert.equal(journey.started, 8);
    assert.equal(journey.completed, 8, JSON.stringify(journey));
    assert.deepEqual(summary.endpoints.map((e) => e.name.split("/")[1]), [
      "frontpage",
      "course",
      "page",
      "course_again",
      "forum",
      "discussion",
      "reply_form",
      "reply",
      "course_once_more",
      "participants",
      "logout",
    ]);
    assert.ok(
      summary.endpoints.every((e) => e.failures === 0 && e.total === 8),
      JSON.stringify(summary.endpoints),
    );
    assert.equal(demo.counters.forumPosts, 8);
    assert.equal(demo.counters.logouts, 8);
    // Every logout is followed by a re-login (the last ones may still be under way when the run ends).
    assert.ok(
      summary.login.relogins >= 4 && summary.login.relogins <= 8,
      `relogins ${summary.login.relogins}`,
    );
    assert.ok(demo.counters.logins - logins >= 4 + summary.login.relogins);
  });
});

Deno.test("journey preset moodle-testplan without its parameters: one line naming them, exit 2", async () => {
  await withDemo({ users: defaultDemoUsers(1) }, async (demo) => {
    const { dir, path } = await configFile(demoRunConfig({ url: demo.url, users: defaultDemoUsers(1) }));
    const result = await runCli([
      "run",
      "--config",
      path,
      "--stats-dir",
      dir,
      "--journey",
      "moodle-testplan",
      "--duration",
      "1",
    ]);
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, /--journey moodle-testplan needs \{courseid\}, \{pageid\}/);
    assert.equal(result.stderr.trim().split("\n").length, 1, result.stderr);
  });
});

Deno.test("journey thresholds through the CLI: journey p95 and step error rate judged, a crossed one exits 99", async () => {
  await withDemo({ users: defaultDemoUsers(2), pageBytes: 5_000 }, async (demo) => {
    const base = demoRunConfig({ url: demo.url, users: defaultDemoUsers(2) });
    const { dir, path } = await configFile({
      ...base,
      parameters: { ...base.parameters, discussion: { values: [3] } },
    });
    const run = (...thresholds: string[]) =>
      runCli([
        "run",
        ...[
          "--config",
          path,
          "--stats-dir",
          dir,
          "--journey",
          "forum-post",
          "--rpm",
          "60",
          "--duration",
          "2",
        ],
        ...thresholds.flatMap((t) => ["--threshold", t]),
        "--quiet",
      ]);
    const met = await run(
      "journey:forum-post:p95<60s",
      "step:reply:error_rate<1%",
      "forum-post/reply:p95<30s",
    );
    assert.equal(met.code, 0, met.stderr);
    assert.match(met.stderr, /✓ journey:forum-post:p95<60s: ok \(measured [\d.]+ ms, limit < 60000 ms\)/);
    assert.match(met.stderr, /✓ step:reply:error_rate<1%: ok \(measured 0%/);
    const crossed = await run("journey:forum-post:p95<1ms");
    assert.equal(crossed.code, 99, crossed.stderr);
    assert.match(crossed.stderr, /thresholds crossed: journey:forum-post:p95<1ms/);
    const typo = await run("journey:forum_post:p95<1s");
    assert.equal(typo.code, 2, typo.stderr);
    assert.match(typo.stderr, /journeys: forum-post/);
  });
});

Deno.test("journey assign-submit against the demo: each saved submission holds the uploaded file of the given size", async () => {
  await withDemo({ users: defaultDemoUsers(6), pageBytes: 5_000 }, async (demo) => {
    const base = demoRunConfig({ url: demo.url, users: defaultDemoUsers(6) });
    const { dir, path } = await configFile({
      ...base,
      parameters: { ...base.parameters, assignid: { values: [11, 12] } },
    });
    const { summary } = await runJourney(
      dir,
      path,
      "--journey",
      "assign-submit",
      "--rpm",
      "120",
      "--duration",
      "3",
    );
    const journey = summary.journeys[0];
    assert.equal(journey.started, 6);
    assert.equal(journey.completed, 6, JSON.stringify(journey));
    assert.deepEqual(summary.endpoints.map((e) => e.name), [
      "assign-submit/edit",
      "assign-submit/upload",
      "assign-submit/save",
    ]);
    assert.equal(demo.counters.uploads, 6);
    assert.equal(demo.counters.assignSubmissions, 6);
    assert.equal(demo.counters.submissionFiles, 6);
    assert.equal(demo.counters.submissionBytes, 6 * 100 * 1024);
  });
});

Deno.test("journey upload: a file over the site's limit fails the upload step with Moodle's message; nothing is submitted", async () => {
  await withDemo({ users: defaultDemoUsers(2), pageBytes: 5_000, uploadMaxBytes: 1000 }, async (demo) => {
    const base = demoRunConfig({ url: demo.url, users: defaultDemoUsers(2) });
    const { dir, path } = await configFile({
      ...base,
      urls: [],
      parameters: { assignid: { values: [11] } },
      journeys: [{
        name: "big",
        steps: [
          { name: "edit", path: "/mod/assign/view.php?id={assignid}&action=editsubmission" },
          {
            name: "upload",
            upload: { field: "files_filemanager", size_bytes: 1001, name: "big-{iteration}.pdf" },
          },
          { name: "save", form: { action: "assign/view.php" } },
        ],
      }],
    });
    const { summary } = await runJourney(dir, path, "--rpm", "120", "--duration", "1");
    assert.equal(summary.journeys[0].failed, 2);
    const upload = summary.endpoints.find((e) => e.name === "big/upload")!;
    assert.deepEqual(upload.errors, { check_failed: 2 });
    const reasons = JSON.stringify((summary as unknown as { error_reasons: unknown }).error_reasons);
    assert.match(reasons, /upload: Moodle refused the file: The file big-\d+\.pdf is too large/);
    assert.equal(demo.counters.submissionFiles, 0);
    assert.equal(demo.counters.assignSubmissions, 0);
  });
});
