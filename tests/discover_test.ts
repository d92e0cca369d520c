/** `discover` without a database: the access rules, the config text, the flags; pools in config check and run. */
import assert from "node:assert/strict";
import {
  activeEnrolment,
  assignmentOpen,
  openActivity,
  poolSizeRows,
  shapePools,
  type SiteRows,
} from "../src/pg/discover_pools.ts";
import { hasRestriction } from "../src/pg/discover.ts";
import { configUsernames, formatDiscovery, parseCourses } from "../src/commands/discover.ts";
import { replacePools } from "../src/pg/user_config.ts";
import { validateConfig } from "../src/config/load.ts";
import { summarizeConfig } from "../src/config/resolve.ts";
import { ROOT, runCli } from "./helpers/cli.ts";

const NOW = 1_800_000_000;

/** alice: course 2 (manual) + 3 (self, disabled plugin); bob: course 3 only; carol: expired; dave: hidden course. */
function site(): SiteRows {
  const enrol = (userid: number, courseid: number, extra: Partial<SiteRows["enrolments"][number]> = {}) => ({
    userid,
    courseid,
    ueStatus: 0,
    enrolStatus: 0,
    enrol: "manual",
    timestart: 0,
    timeend: 0,
    ...extra,
  });
  const cm = (cmid: number, courseid: number, module: string, instance: number, extra = {}) => ({
    cmid,
    courseid,
    module,
    instance,
    visible: 1,
    deletioninprogress: 0,
    moduleVisible: 1,
    sectionVisible: 1,
    restricted: false,
    groupmode: 0,
    ...extra,
  });
  return {
    nowSec: NOW,
    enabledEnrolPlugins: ["manual", "guest"],
    users: [
      { id: 10, username: "alice", suspended: 0 },
      { id: 11, username: "bob", suspended: 0 },
      { id: 12, username: "carol", suspended: 0 },
      { id: 13, username: "dave", suspended: 1 },
    ],
    enrolments: [
      enrol(10, 2),
      enrol(10, 3, { enrol: "self" }), // plugin not enabled
      enrol(11, 3),
      enrol(11, 2, { ueStatus: 1 }), // suspended enrolment
      enrol(12, 2, { timeend: NOW - 1 }), // ended
      enrol(12, 3, { timestart: NOW + 100 }), // not started
      enrol(13, 4), // hidden course
      enrol(13, 1), // the front page
    ],
    courses: [
      { id: 1, shortname: "site", visible: 1, category: 0, groupmode: 0, groupmodeforce: 0 },
      { id: 2, shortname: "c2", visible: 1, category: 1, groupmode: 0, groupmodeforce: 0 },
      { id: 3, shortname: "c3", visible: 1, category: 1, groupmode: 1, groupmodeforce: 1 },
      { id: 4, shortname: "c4", visible: 0, category: 1, groupmode: 0, groupmodeforce: 0 },
    ],
    modules: [
      cm(21, 2, "page", 1),
      cm(22, 2, "page", 2, { visible: 0 }),
      cm(23, 2, "page", 3, { deletioninprogress: 1 }),
      cm(24, 2, "page", 4, { restricted: true }),
      cm(25, 2, "forum", 1),
      cm(26, 2, "assign", 1),
      cm(27, 2, "assign", 2),
      cm(28, 2, "quiz", 1, { moduleVisible: 0 }),
      cm(31, 3, "page", 5, { sectionVisible: 0 }),
      cm(32, 3, "forum", 2),
      cm(33, 3, "assign", 3),
    ],
    discussions: [
      { id: 1, courseid: 2, forum: 1, groupid: -1, timestart: 0, timeend: 0 },
      { id: 2, courseid: 2, forum: 1, groupid: -1, timestart: NOW + 10, timeend: 0 }, // not yet shown
      { id: 3, courseid: 3, forum: 2, groupid: -1, timestart: 0, timeend: 0 },
      { id: 4, courseid: 3, forum: 2, groupid: 7, timestart: 0, timeend: 0 }, // separate groups: bob is in 7
      { id: 5, courseid: 3, forum: 2, groupid: 8, timestart: 0, timeend: 0 }, // … but not in 8
    ],
    groupMembers: [{ userid: 11, groupid: 7 }],
    assignments: [
      { instance: 1, courseid: 2, nosubmissions: 0, allowsubmissionsfromdate: 0, cutoffdate: 0 },
      { instance: 2, courseid: 2, nosubmissions: 0, allowsubmissionsfromdate: 0, cutoffdate: NOW - 5 },
      { instance: 3, courseid: 3, nosubmissions: 1, allowsubmissionsfromdate: 0, cutoffdate: 0 },
    ],
  };
}

Deno.test("discover rules: active enrolment, open activity, open assignment, availability", () => {
  const e = {
    userid: 1,
    courseid: 2,
    ueStatus: 0,
    enrolStatus: 0,
    enrol: "manual",
    timestart: 0,
    timeend: 0,
  };
  assert.ok(activeEnrolment(e, NOW));
  assert.ok(activeEnrolment(e, NOW, ["manual"]));
  assert.ok(!activeEnrolment(e, NOW, ["self"]));
  assert.ok(!activeEnrolment({ ...e, enrolStatus: 1 }, NOW));
  assert.ok(!activeEnrolment({ ...e, timestart: NOW }, NOW)); // Moodle: timestart < now
  assert.ok(activeEnrolment({ ...e, timeend: 2147483647 }, NOW)); // Moodle's column default
  const m = site().modules[0];
  assert.ok(openActivity(m));
  assert.ok(!openActivity({ ...m, restricted: true }));
  const a = site().assignments[0];
  assert.ok(assignmentOpen(a, NOW));
  assert.ok(!assignmentOpen({ ...a, allowsubmissionsfromdate: NOW + 1 }, NOW));
  assert.ok(!assignmentOpen({ ...a, nosubmissions: 1 }, NOW));
  assert.equal(hasRestriction(null), false);
  assert.equal(hasRestriction(""), false);
  assert.equal(hasRestriction('{"op":"&","c":[],"showc":[]}'), false);
  assert.equal(hasRestriction('{"op":"&","c":[{"type":"date","d":">=","t":1}],"showc":[true]}'), true);
  assert.equal(hasRestriction("{broken"), true);
});

Deno.test("discover shaping: per-user pools hold exactly what each user can open", () => {
  const outcome = shapePools(site(), ["alice", "bob", "carol", "dave", "erin"]);
  assert.deepEqual(outcome.pools.alice, {
    enrolled_courses: [2],
    cmids: { assign: [26, 27], forum: [25], page: [21] },
    discussions: [1],
    assignments: [26],
  });
  assert.deepEqual(outcome.pools.bob, {
    enrolled_courses: [3],
    cmids: { assign: [33], forum: [32] },
    discussions: [3, 4],
    assignments: [],
  });
  assert.deepEqual(outcome.pools.carol.enrolled_courses, []);
  assert.deepEqual(outcome.missing, ["erin"]);
  assert.deepEqual(outcome.enrolledNowhere, ["carol", "dave"]);
  assert.deepEqual(outcome.suspended, ["dave"]);
  assert.equal(outcome.restricted, 1);
  assert.deepEqual(outcome.courses.map((c) => [c.id, c.users, c.cmids, c.discussions, c.assignments]), [
    [2, 1, { assign: 2, forum: 1, page: 1 }, 1, 1],
    [3, 1, { assign: 1, forum: 1 }, 3, 0],
  ]);
  // --course 3: only that course counts, alice is then enrolled nowhere.
  const only3 = shapePools(site(), ["alice", "bob"], [3]);
  assert.deepEqual(only3.pools.alice.enrolled_courses, []);
  assert.deepEqual(only3.pools.bob.enrolled_courses, [3]);
  const sizes = poolSizeRows(outcome.pools);
  assert.deepEqual(sizes.map((r) => r.pool), [
    "enrolled_courses",
    "cmids.assign",
    "cmids.forum",
    "cmids.page",
    "discussions",
    "assignments",
  ]);
  assert.deepEqual(sizes[0], { pool: "enrolled_courses", users: 2, empty: 3, min: 0, median: 0, max: 1 });
  const text = formatDiscovery(
    "db",
    { version: "2023100900.00", release: "4.3 (Build: 20231009)", missingTables: [] },
    outcome,
    5,
  );
  assert.match(text, /Moodle 4\.3 \(Build: 20231009\) \(2023100900\)/);
  assert.match(text, /warning: 2 user\(s\) enrolled in no visible course: carol, dave/);
  assert.match(text, /warning: 1 user\(s\) not in the database \(or deleted\): erin/);
});

Deno.test("discover flags and config text: --course, users read leniently, pools replaced with the rest kept", () => {
  assert.deepEqual(parseCourses(["4", "2,4"]), [2, 4]);
  assert.equal(parseCourses(undefined), undefined);
  assert.throws(() => parseCourses(["x"]), /--course: "x" is not a course id/);
  assert.deepEqual(
    configUsernames('{"users": [{"username": "a"}, {"username": "a"}, {"username": "b"}]}', "f"),
    [
      "a",
      "b",
    ],
  );
  assert.throws(() => configUsernames('{"users": []}', "f"), /f has no users — add them first/);
  assert.throws(() => configUsernames("{", "f"), /f: .*fix the file first/);
  const original =
    '{\n  // comment kept\n  "base_url": "http://x",\n  "pools": {"users": {}},\n  "seed": 1\n}\n';
  const pools = {
    discovered: { at: "2026-01-01T00:00:00Z" },
    users: { a: { enrolled_courses: [2], cmids: { page: [3] } } },
  };
  const updated = replacePools(original, pools);
  assert.equal(
    updated,
    '{\n  // comment kept\n  "base_url": "http://x",\n  "pools": {\n    "discovered": { "at": "2026-01-01T00:00:00Z" },\n' +
      '    "users": {\n      "a": { "enrolled_courses": [2], "cmids": { "page": [3] } }\n    }\n  },\n  "seed": 1\n}\n',
  );
  // No pools yet: added at the end, the rest untouched.
  const added = replacePools('{\n  "seed": 1\n}\n', pools);
  assert.deepEqual(JSON.parse(added), { seed: 1, pools });
});

const POOL_CONFIG = {
  base_url: "http://127.0.0.1:9",
  users: [{ username: "alice", password: "pw-a" }, { username: "bob", password: "pw-b" }],
  parameters: {
    courseid: { from: "enrolled_courses" },
    pageid: { from: "cmids", module: "page" },
    n: { values: [1, 2, 3] },
  },
  urls: [{ path: "/course/view.php?id={courseid}&n={n}" }, { path: "/mod/page/view.php?id={pageid}" }],
  pools: {
    users: {
      alice: { enrolled_courses: [2, 4], cmids: { page: [21, 22, 23] } },
      bob: { enrolled_courses: [3] },
    },
  },
};

Deno.test("config: pool parameters validate, and the summary sizes each pool over the users", () => {
  const summary = summarizeConfig(validateConfig(structuredClone(POOL_CONFIG)));
  assert.deepEqual(summary.lists, [{ name: "n", values: 3 }]);
  assert.deepEqual(summary.pools, [
    { name: "courseid", pool: "enrolled_courses", users: 2, empty: 0, min: 1, median: 1, max: 2 },
    { name: "pageid", pool: "cmids.page", users: 2, empty: 1, min: 0, median: 0, max: 3 },
  ]);
  assert.deepEqual(summary.emptyPools, [{ username: "bob", parameter: "pageid", pool: "cmids.page" }]);
  assert.throws(
    () =>
      validateConfig({
        ...POOL_CONFIG,
        parameters: { ...POOL_CONFIG.parameters, pageid: { from: "cmids" } },
      }),
    (error: Error & { problems?: { path: string; message: string }[] }) =>
      error.problems?.[0].path === "$.parameters.pageid" &&
      /"module" goes with/.test(error.problems[0].message),
  );
});

async function withConfig<T>(config: unknown, fn: (file: string) => Promise<T>): Promise<T> {
  const dir = await Deno.makeTempDir({ prefix: "discover_test_" });
  try {
    const file = `${dir}/c.json`;
    await Deno.writeTextFile(file, JSON.stringify(config, null, 2));
    return await fn(file);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("CLI: config check shows pool sizes and warns about an empty pool; run refuses it in one line, exit 2", async () => {
  await withConfig(POOL_CONFIG, async (file) => {
    const check = await runCli(["config", "check", file]);
    assert.equal(check.code, 0, check.stderr);
    assert.match(check.stdout, /\{pageid\}\s+cmids\.page\s+2\s+1\s+0\s+0\s+3/);
    assert.match(check.stdout, /warning: user "bob" has no cmids\.page in pools \(parameter \{pageid\}\)/);
    assert.ok(!check.stdout.includes("pw-a"));
    const run = await runCli(["run", "--config", file, "--rpm", "60", "--duration", "1"], { cwd: ROOT });
    assert.equal(run.code, 2, run.stderr);
    const lines = run.stderr.trim().split("\n");
    assert.equal(lines.length, 1, run.stderr);
    assert.match(lines[0], /user "bob" has no cmids\.page in pools \(parameter \{pageid\}\)/);
    assert.match(lines[0], /moodle-load discover/);
  });
});
