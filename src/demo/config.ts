/**
 * A load-test config that matches a running demo server: its URL, its users, and a page mix shaped
 * like Moodle's own JMeter plan (dashboard, course, page, forum, discussion).
 */
import type { ConfigInput } from "../config/schema.ts";
import type { DemoUserSpec } from "./options.ts";

export interface DemoConfigOptions {
  /** The server's site URL (`DemoServer.url`). */
  url: string;
  /** Accounts to put in the config (usually the ones the server was started with). */
  users: readonly DemoUserSpec[];
  rpm?: number;
  duration?: string | number;
  seed?: number;
}

export function demoRunConfig(options: DemoConfigOptions): ConfigInput {
  const config: ConfigInput = {
    base_url: options.url,
    login_path: "/login/index.php",
    users: options.users.map((user) => ({ username: user.username, password: user.password })),
    parameters: {
      courseid: { min: 2, max: 51 },
      cmid: { min: 100, max: 400 },
      discussionid: { min: 1, max: 500 },
    },
    urls: [
      { path: "/my/", name: "dashboard", weight: 2 },
      { path: "/course/view.php?id={courseid}", name: "course", weight: 3 },
      { path: "/mod/page/view.php?id={cmid}", name: "page", weight: 2 },
      { path: "/mod/forum/view.php?id={cmid}", name: "forum", weight: 1 },
      { path: "/mod/forum/discuss.php?d={discussionid}", name: "discussion", weight: 2 },
    ],
  };
  if (options.rpm !== undefined) config.rpm = options.rpm;
  if (options.duration !== undefined) config.duration = options.duration;
  if (options.seed !== undefined) config.seed = options.seed;
  return config;
}
