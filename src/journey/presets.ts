/**
 * Built-in journeys (`run --journey NAME`), written against a real Moodle 4.3 and the demo site.
 * forum-post: open a discussion, open the reply form of its first post, submit that form (every
 * hidden field of the mform, the sesskey among them) with a seeded subject and message. Moodle
 * answers 303 to discuss.php?d=…#p<new post id>; the check requires exactly that landing.
 */
import type { Config, Journey } from "../config/schema.ts";
import { journeyProblems, JourneySchema } from "../config/schema.ts";

const FORUM_POST = {
  name: "forum-post",
  steps: [
    {
      name: "discussion",
      path: "/mod/forum/discuss.php?d={discussion}",
      extract: { post: { regex: "post\\.php\\?reply=(\\d+)" } },
      think_time_ms: { min: 500, max: 1500 },
    },
    {
      name: "reply_form",
      path: "/mod/forum/post.php?reply={post}",
      check: { contains: 'name="sesskey"' },
      think_time_ms: { min: 1000, max: 3000 },
    },
    {
      name: "reply",
      form: {
        action: "post.php",
        fields: { subject: "Re: moodle-load {iteration}", "message[text]": "<p>{random_text:120}</p>" },
      },
      check: { url: "discuss\\.php\\?d=\\d+#p\\d+" },
    },
  ],
};

export const JOURNEY_PRESETS: Readonly<Record<string, { journey: unknown; needs: string }>> = {
  "forum-post": {
    journey: FORUM_POST,
    needs: '{discussion}: "parameters": {"discussion": {"values": [3, 4]}} or {"from": "discussions"} ' +
      "(moodle-load discover)",
  },
};

/**
 * The config with the preset journey `name` as its only journey. Its parameters must exist; a
 * missing {discussion} falls back to the per-user pool when the config has pools.
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
  if (!parameters.discussion && config.pools) parameters.discussion = { from: "discussions" };
  const problems = journeyProblems([journey], parameters);
  if (problems.length) throw new Error(`--journey ${name} needs ${preset.needs}`);
  return { ...config, parameters, journeys: [journey] };
}
