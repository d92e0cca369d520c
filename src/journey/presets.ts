/**
 * Built-in journeys (`run --journey NAME`), written against a real Moodle 4.3 and the demo site.
 *
 * forum-post: open a discussion, open the reply form of its first post, submit that form (every
 * hidden field of the mform, the sesskey among them) with a seeded subject and message. Moodle
 * answers 303 to discuss.php?d=…#p<new post id>; the check requires exactly that landing.
 *
 * moodle-testplan: the "Moodle Test" thread group of Moodle HQ's JMeter plan
 * (admin/tool/generator/testplan.template.jmx, Moodle 4.3), sampler for sampler, without its first
 * three: "Frontpage not logged", "View login page" and "Login" are the run's login phase (and the
 * re-login after the logout below), measured apart, never in the journey. The plan has no timers
 * between samplers (only a throughput timer, which --rpm replaces), so no think time either. Its
 * last sampler logs out with the sesskey: the user then logs in again (`relogins`) before its next
 * iteration, as the JMeter thread does at the top of its loop.
 *
 * assign-submit: open an assignment's submission form, upload a file of seeded bytes into its file
 * manager's draft area through Moodle's upload repository, save the form (Moodle 4.3 answers 303
 * to view.php?id=…&action=view, and the draft's files become the submission's).
 */
import type { Config, Journey, Parameter } from "../config/schema.ts";
import { journeyProblems, JourneySchema } from "../config/schema.ts";

const REPLY_STEPS = [
  {
    name: "reply_form",
    path: "/mod/forum/post.php?reply={post}",
    check: { contains: 'name="sesskey"' },
  },
  {
    name: "reply",
    form: {
      action: "post.php",
      fields: { subject: "Re: moodle-load {iteration}", "message[text]": "<p>{random_text:120}</p>" },
    },
    check: { url: "discuss\\.php\\?d=\\d+#p\\d+" },
  },
];
const FIRST_POST = { post: { regex: "post\\.php\\?reply=(\\d+)" } };

const FORUM_POST = {
  name: "forum-post",
  steps: [
    {
      name: "discussion",
      path: "/mod/forum/discuss.php?d={discussion}",
      extract: FIRST_POST,
      think_time_ms: { min: 500, max: 1500 },
    },
    { ...REPLY_STEPS[0], think_time_ms: { min: 1000, max: 3000 } },
    REPLY_STEPS[1],
  ],
};

const MOODLE_TESTPLAN = {
  name: "moodle-testplan",
  steps: [
    { name: "frontpage", path: "/" },
    { name: "course", path: "/course/view.php?id={courseid}" },
    { name: "page", path: "/mod/page/view.php?id={pageid}" },
    { name: "course_again", path: "/course/view.php?id={courseid}" },
    { name: "forum", path: "/mod/forum/view.php?id={forumid}" },
    { name: "discussion", path: "/mod/forum/discuss.php?d={discussionid}", extract: FIRST_POST },
    ...REPLY_STEPS,
    { name: "course_once_more", path: "/course/view.php?id={courseid}" },
    { name: "participants", path: "/user/index.php?id={courseid}" },
    { name: "logout", path: "/login/logout.php?sesskey={sesskey}" },
  ],
};

/** A 100 KiB file: a typical small submission (a short document); hand-write the journey for others. */
export const ASSIGN_SUBMIT_BYTES = 100 * 1024;

const ASSIGN_SUBMIT = {
  name: "assign-submit",
  steps: [
    {
      name: "edit",
      path: "/mod/assign/view.php?id={assignid}&action=editsubmission",
      check: { contains: 'name="files_filemanager"' },
      think_time_ms: { min: 1000, max: 3000 },
    },
    { name: "upload", upload: { field: "files_filemanager", size_bytes: ASSIGN_SUBMIT_BYTES } },
    {
      name: "save",
      form: { action: "/mod/assign/view.php" },
      check: { url: "/mod/assign/view\\.php\\?id=\\d+&action=view" },
    },
  ],
};

interface Preset {
  journey: unknown;
  /** Parameters taken from the per-user pools (`moodle-load discover`) when the config lacks them. */
  fromPools: Record<string, Parameter>;
  /** What to add when a parameter is missing (the one line of the error). */
  needs: string;
}

export const JOURNEY_PRESETS: Readonly<Record<string, Preset>> = {
  "forum-post": {
    journey: FORUM_POST,
    fromPools: { discussion: { from: "discussions" } },
    needs: '{discussion}: "parameters": {"discussion": {"values": [3, 4]}} or {"from": "discussions"} ' +
      "(moodle-load discover)",
  },
  "moodle-testplan": {
    journey: MOODLE_TESTPLAN,
    fromPools: {
      courseid: { from: "enrolled_courses" },
      pageid: { from: "cmids", module: "page" },
      forumid: { from: "cmids", module: "forum" },
      discussionid: { from: "discussions" },
    },
    needs: '{courseid}, {pageid}, {forumid}, {discussionid} in "parameters" (ranges, values or ' +
      "per-user pools of moodle-load discover)",
  },
  "assign-submit": {
    journey: ASSIGN_SUBMIT,
    fromPools: { assignid: { from: "assignments" } },
    needs: '{assignid}: "parameters": {"assignid": {"values": [11]}} or {"from": "assignments"} ' +
      "(moodle-load discover; only assignments open for submissions with file submissions on)",
  },
};

/** The preset journey `name`, parsed; undefined when there is no such preset. */
export function presetJourney(name: string): Journey | undefined {
  const preset = JOURNEY_PRESETS[name];
  return preset && JourneySchema.parse(preset.journey);
}

/**
 * The config with the preset journey `name` as its only journey. Its parameters must exist; a
 * missing one falls back to the per-user pool when the config has pools.
 */
export function withJourneyPreset(config: Config, name: string): Config {
  const preset = JOURNEY_PRESETS[name];
  if (!preset) {
    throw new Error(
      `--journey ${name}: no such preset — choose one of ${Object.keys(JOURNEY_PRESETS).join(", ")}`,
    );
  }
  const journey: Journey = JourneySchema.parse(preset.journey);
  const parameters = { ...config.parameters };
  for (const [param, pool] of Object.entries(preset.fromPools)) {
    if (!parameters[param] && config.pools) parameters[param] = pool;
  }
  const problems = journeyProblems([journey], parameters);
  if (problems.length) throw new Error(`--journey ${name} needs ${preset.needs}`);
  return { ...config, parameters, journeys: [journey] };
}
