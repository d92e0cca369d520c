/**
 * The assign-submit journey against the REAL Moodle 4.3 of the shared kit (skipped loudly when it
 * cannot start, a failure under CI=true): the files Moodle stored in mdl_files are exactly the ones
 * the run reports as submitted. The kit's assignments accept no submissions (`nosubmissions=1`), so
 * the test opens two of them for file submissions (docs/moodle-protocol.md, "Assignment file
 * submission") and puts everything back afterwards: the settings, the submissions and their files.
 * Its users are tool_generator_000081…100 (untouched by the other real tests), with a fresh password.
 */
import assert from "node:assert/strict";
import pg from "pg";
import { runCli } from "./helpers/cli.ts";
import { moodleCli, type RealMoodle, realMoodle } from "./helpers/real_moodle.ts";
import { requireService } from "./helpers/services.ts";
import {
  assertWrongSesskeySaveFailed,
  runJourneys,
  stepRow,
  writeConfig,
  WRONG_SESSKEY_SAVE,
} from "./helpers/journeys.ts";
import { ASSIGN_SUBMIT_BYTES } from "../src/journey/presets.ts";

const { site, availability } = await realMoodle();
const service = requireService("a real Moodle site (../shared/moodle/start-moodle)", availability);
const PASSWORD = `Asgn-${crypto.randomUUID().slice(0, 8)}-1`;
const USERNAMES = Array.from({ length: 20 }, (_, i) => `tool_generator_${String(81 + i).padStart(6, "0")}`);

function need(): RealMoodle {
  if (!site) throw new Error(`the real Moodle site did not start: ${availability.reason}`);
  return site;
}

async function withDb<T>(moodle: RealMoodle, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: moodle.db.url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** The file-submission settings of the assignments, as they were. */
interface Saved {
  assign: { id: number; nosubmissions: number; submissiondrafts: number }[];
  config: { id: number; value: string }[];
  lastFileId: number;
  lastSubmissionId: number;
}

/** mod_assign settings a submission needs (plugin config rows are read per request, the rest too). */
const FILE_SETTINGS: Record<string, string> = {
  enabled: "1",
  maxfilesubmissions: "20",
  maxsubmissionsizebytes: String(10 * 1024 * 1024),
};

/** Open `assignIds` for file submissions; returns what to put back. */
function openForFiles(moodle: RealMoodle, assignIds: number[]): Promise<Saved> {
  return withDb(moodle, async (db) => {
    const assign = (await db.query(
      "SELECT id::int, nosubmissions::int, submissiondrafts::int FROM mdl_assign WHERE id = ANY($1)",
      [assignIds],
    )).rows;
    const config = (await db.query(
      `SELECT id::int, value FROM mdl_assign_plugin_config
        WHERE assignment = ANY($1) AND plugin = 'file' AND subtype = 'assignsubmission'`,
      [assignIds],
    )).rows;
    const last = async (table: string) =>
      (await db.query(`SELECT coalesce(max(id), 0)::int AS max FROM ${table}`)).rows[0].max as number;
    const saved = {
      assign,
      config,
      lastFileId: await last("mdl_files"),
      lastSubmissionId: await last("mdl_assign_submission"),
    };
    await db.query("UPDATE mdl_assign SET nosubmissions = 0, submissiondrafts = 0 WHERE id = ANY($1)", [
      assignIds,
    ]);
    for (const id of assignIds) {
      for (const [name, value] of Object.entries(FILE_SETTINGS)) {
        const updated = await db.query(
          `UPDATE mdl_assign_plugin_config SET value = $3
            WHERE assignment = $1 AND plugin = 'file' AND subtype = 'assignsubmission' AND name = $2`,
          [id, name, value],
        );
        if (updated.rowCount === 0) {
          await db.query(
            `INSERT INTO mdl_assign_plugin_config (assignment, plugin, subtype, name, value)
             VALUES ($1, 'file', 'assignsubmission', $2, $3)`,
            [id, name, value],
          );
        }
      }
    }
    return saved;
  });
}

/** Put the settings back and remove what the runs submitted (submissions and their files). */
function restore(moodle: RealMoodle, assignIds: number[], saved: Saved): Promise<void> {
  return withDb(moodle, async (db) => {
    for (const a of saved.assign) {
      await db.query("UPDATE mdl_assign SET nosubmissions = $2, submissiondrafts = $3 WHERE id = $1", [
        a.id,
        a.nosubmissions,
        a.submissiondrafts,
      ]);
    }
    await db.query(
      `DELETE FROM mdl_assign_plugin_config WHERE assignment = ANY($1) AND plugin = 'file'
          AND subtype = 'assignsubmission' AND NOT (id = ANY($2))`,
      [assignIds, saved.config.map((c) => c.id)],
    );
    for (const c of saved.config) {
      await db.query("UPDATE mdl_assign_plugin_config SET value = $2 WHERE id = $1", [c.id, c.value]);
    }
    await db.query("DELETE FROM mdl_files WHERE id > $1 AND component = 'assignsubmission_file'", [
      saved.lastFileId,
    ]);
    await db.query("DELETE FROM mdl_assignsubmission_file WHERE submission > $1", [saved.lastSubmissionId]);
    await db.query("DELETE FROM mdl_assign_submission WHERE id > $1", [saved.lastSubmissionId]);
  });
}

interface StoredFile {
  id: number;
  filename: string;
  filesize: number;
  contenthash: string;
  userid: number;
  status: string;
  username: string;
}

/** Submission files stored after file `afterId`, with their submission's owner and status. */
function storedFiles(moodle: RealMoodle, afterId: number): Promise<StoredFile[]> {
  return withDb(moodle, async (db) =>
    (await db.query(
      `SELECT f.id::int, f.filename, f.filesize::int, f.contenthash, s.userid::int, s.status, u.username
         FROM mdl_files f JOIN mdl_assign_submission s ON s.id = f.itemid JOIN mdl_user u ON u.id = s.userid
        WHERE f.id > $1 AND f.component = 'assignsubmission_file' AND f.filearea = 'submission_files'
          AND f.filename <> '.'`,
      [afterId],
    )).rows);
}

/** A config for the assignments `cmids`; the test users get their password on the first call only. */
let users: { username: string; password: string }[] | undefined;
async function siteConfig(
  moodle: RealMoodle,
  cmids: number[],
  extra: Record<string, unknown>,
  count: number,
) {
  const config = {
    base_url: moodle.base_url,
    login_path: moodle.login_path,
    users: [] as { username: string; password: string }[],
    parameters: { assignid: { values: cmids } },
    ...extra,
  };
  if (!users) {
    const first = await writeConfig(config);
    const set = await runCli([
      "users",
      "--usernames",
      USERNAMES.join(","),
      "--password",
      PASSWORD,
      "--config",
      first.path,
      "--db-url",
      moodle.db.url,
    ]);
    assert.equal(set.code, 0, set.stderr);
    users = JSON.parse(await Deno.readTextFile(first.path)).users;
    await Deno.remove(first.dir, { recursive: true });
  }
  return await writeConfig({ ...config, users: users!.slice(0, count) });
}

Deno.test({
  name:
    "real Moodle: assign-submit over 20 users — mdl_files holds exactly the reported files, 100 KiB each; a save with a wrong sesskey stores nothing",
  ...service,
  fn: async () => {
    const moodle = need();
    const course = moodle.courses.find((c) => c.id === moodle.main_course_id)!;
    const cmids = course.cmids.assign.slice(0, 2);
    const assignIds = await withDb(
      moodle,
      async (db) =>
        (await db.query("SELECT instance::int FROM mdl_course_modules WHERE id = ANY($1)", [cmids])).rows
          .map((r) => r.instance as number),
    );
    const saved = await openForFiles(moodle, assignIds);
    const dirs: string[] = [];
    try {
      await moodleCli(moodle, "admin/cli/purge_caches.php");
      // 2 journeys/s for 5 s, then 20 s without new ones so that the journeys under way finish
      // inside the run, not in the grace (an abandoned save could be stored without the run knowing).
      const good = await siteConfig(moodle, cmids, {
        stages: [
          { duration: "0.5s", rpm: 120 },
          { duration: "5s", rpm: 120 },
          { duration: "0.5s", rpm: 0 },
          { duration: "20s", rpm: 0 },
        ],
      }, USERNAMES.length);
      dirs.push(good.dir);
      const summary = await runJourneys(
        good.path,
        "--journey",
        "assign-submit",
        "--concurrency",
        "5",
        "--seed",
        "17",
      );
      assert.equal(summary.login.logged_in, USERNAMES.length);
      assert.equal(summary.abandoned, 0, "a step still unanswered at the end: its outcome is unknown");
      const journey = summary.journeys[0];
      // The stages' integral: 0.5 (ramp up) + 10 (5 s at 2/s) + 0.5 (ramp down) journeys due.
      assert.equal(journey.started + summary.not_sent, 11, JSON.stringify(journey));
      assert.ok(journey.completed >= 3, JSON.stringify(journey));
      const save = stepRow(summary, "assign-submit/save");
      assert.equal(save.success, journey.completed);
      const files = await storedFiles(moodle, saved.lastFileId);
      // None missing, none extra: one stored file per saved submission, of the uploaded size.
      assert.equal(files.length, save.success, JSON.stringify({ files, errors: summary.errors }));
      console.log(
        `assign-submit: ${journey.started} started, ${journey.completed} completed, ${save.success} saves ` +
          `reported = ${files.length} files in mdl_files; not_sent ${summary.not_sent}`,
      );
      assert.ok(files.every((f) => f.filesize === ASSIGN_SUBMIT_BYTES), JSON.stringify(files));
      assert.equal(new Set(files.map((f) => f.contenthash)).size, files.length, "distinct uploads");
      assert.ok(files.every((f) => /^moodle-load-\d+\.bin$/.test(f.filename)), JSON.stringify(files));
      assert.ok(files.every((f) => USERNAMES.includes(f.username) && f.status === "submitted"));

      // The same flow with the save's sesskey wrong: a failure, and Moodle keeps no file.
      const bad = await siteConfig(moodle, cmids, { journeys: [WRONG_SESSKEY_SAVE] }, 4);
      dirs.push(bad.dir);
      const lastFile = (await storedFiles(moodle, 0)).reduce((max, f) => Math.max(max, f.id), 0);
      const refused = await runJourneys(bad.path, "--rpm", "120", "--duration", "2", "--seed", "3");
      assertWrongSesskeySaveFailed(refused);
      assert.deepEqual(await storedFiles(moodle, lastFile), []);
    } finally {
      await restore(moodle, assignIds, saved);
      await moodleCli(moodle, "admin/cli/purge_caches.php");
      for (const dir of dirs) await Deno.remove(dir, { recursive: true });
    }
  },
});
