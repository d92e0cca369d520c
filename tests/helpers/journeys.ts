/**
 * The journey scenarios the real-Moodle tests and the demo tests share: the same CLI run, the same
 * journeys, the same reading of the summary, so both sites are held to the same counts.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { runCli } from "./cli.ts";

export interface StepRow {
  name: string;
  total: number;
  success: number;
  failures: number;
  errors: Record<string, number>;
}

export interface JourneyRow {
  name: string;
  started: number;
  completed: number;
  failed: number;
  failed_by: Record<string, Record<string, number>>;
}

export interface JourneySummary {
  journeys: JourneyRow[];
  endpoints: StepRow[];
  sent: number;
  not_sent: number;
  abandoned: number;
  errors: Record<string, number>;
  error_reasons?: unknown;
  login: { logged_in: number; relogins: number };
}

/** `run --json` with the given flags; exit 0 required; the summary file (the full one) is returned. */
export async function runJourneys(configPath: string, ...flags: string[]): Promise<JourneySummary> {
  const statsDir = await Deno.makeTempDir({ prefix: "moodle_load_journeys_" });
  try {
    const result = await runCli([
      "run",
      "--config",
      configPath,
      "--stats-dir",
      statsDir,
      "--quiet",
      "--json",
      ...flags,
    ]);
    assert.equal(result.code, 0, result.stderr);
    const printed = JSON.parse(result.stdout);
    return JSON.parse(await Deno.readTextFile(printed.summary_file)) as JourneySummary;
  } finally {
    await Deno.remove(statsDir, { recursive: true });
  }
}

/** The row of step `journey/step`; fails the test when the run has no such row. */
export function stepRow(summary: JourneySummary, name: string): StepRow {
  const row = summary.endpoints.find((e) => e.name === name);
  assert.ok(row, `step ${name} in ${summary.endpoints.map((e) => e.name)}`);
  return row;
}

/** Write `config` as JSON into a new temporary directory; the caller removes `dir`. */
export async function writeConfig(config: unknown): Promise<{ dir: string; path: string }> {
  const dir = await Deno.makeTempDir({ prefix: "moodle_load_journey_cfg_" });
  const path = join(dir, "config.json");
  await Deno.writeTextFile(path, JSON.stringify(config, null, 2));
  return { dir, path };
}

/** Subjects of the preset's replies: "Re: moodle-load {iteration}" (src/journey/presets.ts). */
export const REPLY_SUBJECT = /^Re: moodle-load (\d+)$/;

/**
 * Every state-changing request of a journey with a WRONG sesskey, each step allowed to fail and the
 * journey to go on: the reply form submitted with the sesskey field overridden, then the logout link
 * with a wrong sesskey. Moodle must store nothing and end no session; the run must count failures.
 */
export function wrongSesskeyJourney(): unknown {
  return {
    name: "bad-sesskey",
    steps: [
      {
        name: "discussion",
        path: "/mod/forum/discuss.php?d={discussion}",
        extract: { post: { regex: "post\\.php\\?reply=(\\d+)" } },
      },
      { name: "reply_form", path: "/mod/forum/post.php?reply={post}", check: { contains: 'name="sesskey"' } },
      {
        name: "reply",
        form: {
          action: "post.php",
          fields: {
            sesskey: "wrong{sesskey}",
            subject: "Re: wrong sesskey {iteration}",
            "message[text]": "<p>{random_text:40}</p>",
          },
        },
        check: { url: "discuss\\.php\\?d=\\d+#p\\d+" },
        on_fail: "continue",
      },
      { name: "logout", path: "/login/logout.php?sesskey=wrong{sesskey}", on_fail: "continue" },
    ],
  };
}

/**
 * What a run of wrongSesskeyJourney must report on any faithful site: every iteration failed at its
 * reply (Moodle's 404 error page "Your session has most likely timed out": moodle_error), and every
 * logout a check_failed (Moodle asks to confirm instead of logging out). Nothing succeeded.
 */
export function assertWrongSesskeyFailed(summary: JourneySummary): void {
  const journey = summary.journeys[0];
  assert.ok(journey.started >= 2, JSON.stringify(journey));
  assert.equal(journey.completed, 0, JSON.stringify(journey));
  assert.equal(journey.failed, journey.started);
  assert.deepEqual(journey.failed_by, { "bad-sesskey/reply": { moodle_error: journey.started } });
  const reply = stepRow(summary, "bad-sesskey/reply");
  assert.equal(reply.success, 0);
  assert.deepEqual(reply.errors, { moodle_error: journey.started });
  const logout = stepRow(summary, "bad-sesskey/logout");
  assert.equal(logout.success, 0);
  assert.deepEqual(logout.errors, { check_failed: journey.started });
  assert.equal(summary.login.relogins, 0, "no session ended");
  const reasons = JSON.stringify(summary.error_reasons);
  assert.match(reasons, /Your session has most likely timed out/);
  assert.match(reasons, /logout: still logged in/);
}

/** The preset's steps with the save posted under a wrong sesskey. */
export const WRONG_SESSKEY_SAVE = {
  name: "bad-save",
  steps: [
    { name: "edit", path: "/mod/assign/view.php?id={assignid}&action=editsubmission" },
    { name: "upload", upload: { field: "files_filemanager", size_bytes: 2048 } },
    {
      name: "save",
      form: { action: "/mod/assign/view.php", fields: { sesskey: "wrong{sesskey}" } },
      check: { url: "/mod/assign/view\\.php\\?id=\\d+&action=view" },
    },
  ],
};

/** What a run of WRONG_SESSKEY_SAVE must report: the uploads work, every save is Moodle's 404 error. */
export function assertWrongSesskeySaveFailed(summary: JourneySummary): void {
  const journey = summary.journeys[0];
  assert.ok(journey.started >= 2, JSON.stringify(journey));
  assert.equal(journey.completed, 0);
  assert.equal(stepRow(summary, "bad-save/upload").success, journey.started, "the upload itself works");
  assert.deepEqual(stepRow(summary, "bad-save/save").errors, { moodle_error: journey.started });
  assert.match(JSON.stringify(summary.error_reasons), /Your session has most likely timed out/);
}
