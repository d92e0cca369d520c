/**
 * `moodle-load demo`: start the built-in Moodle-like site on 127.0.0.1 (free port), write a matching
 * config into a temporary directory, and run a short paced load against it with the same tables and
 * files as `run`. The config is printed so the same run can be repeated with `moodle-load run`.
 */
import { defaultDemoUsers, startDemoServer } from "../demo/mod.ts";
import { demoRunConfig } from "../demo/config.ts";
import type { ConfigInput } from "../config/schema.ts";
import { presetJourney } from "../journey/presets.ts";
import { moodleBackend } from "../moodle/backend.ts";
import { runLoad } from "./run.ts";
import { StopRequest } from "../util/stop_request.ts";
import type { ShardRunOptions } from "./run_shard.ts";
import type { DashboardFlags } from "../dashboard/mod.ts";

export interface DemoRunOptions extends ShardRunOptions, DashboardFlags {
  duration: number;
  rpm: number;
  /** `--ipm N`: the forum-post journey beside the pages (src/journey/mix.ts). */
  ipm?: number;
  statsDir: string;
  progress: number;
  /** `--max-body` in bytes (default: run's). */
  maxBody?: number;
  /** false: `--no-compression` (default true). */
  compression?: boolean;
  quiet: boolean;
  json: boolean;
}

export const DEMO_USERS = 10;

/** The demo's page mix, plus the forum-post journey (on the demo's discussions) with `--ipm`. */
function demoConfig(url: string, users: ReturnType<typeof defaultDemoUsers>, journey: boolean): ConfigInput {
  const config = demoRunConfig({ url, users });
  if (!journey) return config;
  return {
    ...config,
    parameters: { ...config.parameters, discussion: config.parameters!.discussionid },
    journeys: [presetJourney("forum-post")!],
  };
}

export async function runDemo(options: DemoRunOptions, version: string): Promise<void> {
  const users = defaultDemoUsers(DEMO_USERS);
  const demo = await startDemoServer({
    users,
    sitePath: "/moodle",
    pageBytes: 120_000,
    latencyMs: 15,
    latencyByPath: { "/course/view.php": 40, "/mod/forum/discuss.php": 60 },
    slowRate: 0.01,
    slowMs: 400,
    errorRate: 0.002,
  });
  const dir = await Deno.makeTempDir({ prefix: "moodle_load_demo_" });
  // The demo owns the stop signals: a second one exits at once, and the config with passwords goes too.
  const stop = new StopRequest();
  const release = stop.listen();
  stop.atHardExit(() => Deno.removeSync(dir, { recursive: true }));
  try {
    const config = `${dir}/config.json`;
    const text = JSON.stringify(demoConfig(demo.url, users, options.ipm !== undefined), null, 2) + "\n";
    await Deno.writeTextFile(config, text, { mode: 0o600 });
    await runLoad({
      config,
      rpm: options.rpm,
      ipm: options.ipm,
      duration: options.duration,
      concurrency: DEMO_USERS,
      statsDir: options.statsDir,
      insecure: false,
      loginTimeout: 20,
      requestTimeout: 30,
      progress: options.progress,
      warmup: 0,
      loginConcurrency: 4,
      maxRetries: 3,
      maxBody: options.maxBody,
      compression: options.compression,
      quiet: options.quiet,
      json: options.json,
      shard: options.shard,
      shardCount: options.shardCount,
      startAt: options.startAt,
      dashboard: options.dashboard,
      dashboardLinger: options.dashboardLinger,
      // Every shard's demo site is its own: the seed makes their request sequences one run's stripes.
      seed: options.shard === undefined ? undefined : 1,
      banner: `Demo: a Moodle-like site at ${demo.url}/ (${DEMO_USERS} users, pages of ~120 KB, ` +
        `15–60 ms each, 1 % slow, 0.2 % HTTP 503); its config, removed at the end: ${config}`,
    }, { backend: moodleBackend, version, stop });
  } finally {
    release();
    await demo.close();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}
