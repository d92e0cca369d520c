/**
 * The journeys of tests/journey_real_test.ts and journey_real_assign_test.ts against the demo site,
 * held to the same counts: what the demo stored (its counters) is exactly what the run reports.
 */
import assert from "node:assert/strict";
import { withDemo } from "./helpers/demo.ts";
import { runCli } from "./helpers/cli.ts";
import { defaultDemoUsers } from "../src/demo/mod.ts";
import { demoRunConfig } from "../src/demo/config.ts";
import type { DemoServer } from "../src/demo/server.ts";
import { ASSIGN_SUBMIT_BYTES } from "../src/journey/presets.ts";
import {
  assertWrongSesskeyFailed,
  assertWrongSesskeySaveFailed,
  runJourneys,
  stepRow,
  writeConfig,
  WRONG_SESSKEY_SAVE,
  wrongSesskeyJourney,
} from "./helpers/journeys.ts";

const USERS = 20;

/** The demo's course 4 as the kit's main course: the same ids as the real site's. */
const PARAMETERS = {
  courseid: { values: [4] },
  pageid: { min: 21, max: 70 },
  forumid: { values: [74] },
  discussionid: { min: 3, max: 12 },
  discussion: { min: 3, max: 12 },
  assignid: { values: [11, 12] },
};

async function demoConfig(demo: DemoServer, extra: Record<string, unknown> = {}) {
  const base = demoRunConfig({ url: demo.url, users: defaultDemoUsers(USERS) });
  // Journeys of its own replace the demo's page mix (urls beside journeys would need --ipm).
  const urls = extra.journeys ? { urls: [] } : {};
  return await writeConfig({ ...base, parameters: { ...base.parameters, ...PARAMETERS }, ...urls, ...extra });
}

/** 20 journeys due over 2 s, at most 5 in progress, as on the real site. */
const RATE = ["--rpm", "600", "--duration", "2", "--concurrency", "5", "--seed", "13"];

Deno.test("demo: moodle-testplan over 20 users — the demo stored exactly the run's successful replies", async () => {
  await withDemo({ users: defaultDemoUsers(USERS), pageBytes: 10_000, latencyMs: 2 }, async (demo) => {
    const { dir, path } = await demoConfig(demo);
    try {
      const summary = await runJourneys(path, "--journey", "moodle-testplan", ...RATE);
      assert.equal(summary.login.logged_in, USERS);
      assert.equal(summary.abandoned, 0);
      const journey = summary.journeys[0];
      assert.equal(journey.started + summary.not_sent, 20, JSON.stringify(journey));
      assert.ok(journey.completed >= 10, JSON.stringify(journey));
      const reply = stepRow(summary, "moodle-testplan/reply");
      assert.equal(demo.counters.forumPosts, reply.success);
      assert.equal(reply.success, journey.completed);
      assert.equal(demo.counters.logouts, stepRow(summary, "moodle-testplan/logout").success);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
});

Deno.test("demo: assign-submit over 20 users — the demo stored exactly the reported files, 100 KiB each", async () => {
  await withDemo({ users: defaultDemoUsers(USERS), pageBytes: 5_000, latencyMs: 2 }, async (demo) => {
    const { dir, path } = await demoConfig(demo);
    try {
      const summary = await runJourneys(path, "--journey", "assign-submit", ...RATE);
      assert.equal(summary.abandoned, 0);
      const journey = summary.journeys[0];
      // The preset thinks 1–3 s after the form: 5 in progress get through about 9 of the 20.
      assert.equal(journey.started + summary.not_sent, 20, JSON.stringify(journey));
      assert.ok(journey.completed >= 5, JSON.stringify(journey));
      const save = stepRow(summary, "assign-submit/save");
      assert.equal(save.success, journey.completed);
      assert.equal(demo.counters.uploads, stepRow(summary, "assign-submit/upload").success);
      assert.equal(demo.counters.assignSubmissions, save.success);
      assert.equal(demo.counters.submissionFiles, save.success);
      assert.deepEqual(Object.fromEntries(demo.counters.submissionFileSizes), {
        [ASSIGN_SUBMIT_BYTES]: save.success,
      });
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
});

Deno.test("demo: a reply form, a logout and an assignment save with a WRONG sesskey are failures; nothing stored", async () => {
  await withDemo({ users: defaultDemoUsers(4), pageBytes: 5_000 }, async (demo) => {
    const reply = await demoConfig(demo, { users: defaultDemoUsers(4), journeys: [wrongSesskeyJourney()] });
    const save = await demoConfig(demo, { users: defaultDemoUsers(4), journeys: [WRONG_SESSKEY_SAVE] });
    try {
      const flags = ["--rpm", "120", "--duration", "2", "--concurrency", "4", "--seed", "2"];
      assertWrongSesskeyFailed(await runJourneys(reply.path, ...flags));
      assert.equal(demo.counters.forumPosts, 0);
      assert.equal(demo.counters.logouts, 0);
      assertWrongSesskeySaveFailed(await runJourneys(save.path, ...flags));
      assert.equal(demo.counters.assignSubmissions, 0);
      assert.equal(demo.counters.submissionFiles, 0);
    } finally {
      await Deno.remove(reply.dir, { recursive: true });
      await Deno.remove(save.dir, { recursive: true });
    }
  });
});

Deno.test("run --journey with only base_url, users and parameters in the config: the preset is the workload", async () => {
  await withDemo({ users: defaultDemoUsers(2), pageBytes: 5_000 }, async (demo) => {
    const base = demoRunConfig({ url: demo.url, users: defaultDemoUsers(2) });
    const { dir, path } = await writeConfig({
      base_url: base.base_url,
      users: base.users,
      parameters: { discussion: { values: [3] } },
    });
    try {
      const summary = await runJourneys(
        path,
        ...["--journey", "forum-post", "--rpm", "120", "--duration", "1"],
        ...["--threshold", "step:reply:error_rate<1%"],
      );
      assert.equal(summary.journeys[0].completed, 2, JSON.stringify(summary.journeys));
      assert.equal(demo.counters.forumPosts, 2);
      // Threshold names are checked against the preset's steps before the run: a typo is exit 2.
      const typo = await runCli(
        ["run", "--config", path, "--journey", "forum-post", "--threshold", "step:replly:error_rate<1%"],
      );
      assert.equal(typo.code, 2, typo.stderr);
      assert.match(typo.stderr, /replly/);
      // Without --journey the same config names no workload: exit 2, the rule named.
      const plain = await runCli(["run", "--config", path, "--duration", "1", "--quiet"]);
      assert.equal(plain.code, 2, plain.stderr);
      assert.match(plain.stderr, /at least one URL \(or a journey in journeys\)/);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
});
