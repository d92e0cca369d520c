import { Command, type CommandUnknownOpts, InvalidArgumentError } from "@commander-js/extra-typings";
import { thresholdOption } from "../thresholds/option.ts";
import { junitOption } from "./junit.ts";
import { dashboardOptions } from "./dashboard.ts";
import { parseByteSize, parseDurationSeconds } from "../output/format.ts";
import { shardCountOption, shardOption, startAtOption } from "./shard.ts";
import { outAliasOf, outOption, statsDirAlias } from "./out_option.ts";

const positive = (name: string) => (value: string): number => {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`${name} must be a positive number`);
  return n;
};
const positiveInt = (name: string) => (value: string): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError(`${name} must be a positive integer`);
  return n;
};
const nonNegativeInt = (name: string) => (value: string): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`${name} must be an integer ≥ 0`);
  return n;
};
const seconds = (name: string, allowZero = false) => (value: string): number => {
  let n: number;
  try {
    n = parseDurationSeconds(value);
  } catch {
    throw new InvalidArgumentError(`${name} must be a duration such as 90, 90s, 2m or 1h`);
  }
  if (!(n > 0 || (allowZero && n === 0))) throw new InvalidArgumentError(`${name} must be more than 0`);
  return n;
};

/** A byte size flag ("512K", "64M", "1G", bytes); shared by run, bench and demo. */
export const byteSize = (name: string) => (value: string): number => {
  let n: number;
  try {
    n = parseByteSize(value);
  } catch {
    throw new InvalidArgumentError(`${name} must be a size such as 512K, 64M or 1G`);
  }
  if (!(n > 0)) throw new InvalidArgumentError(`${name} must be more than 0`);
  return n;
};

export const MAX_BODY_HELP =
  "longest response body accepted: 512K, 64M, 1G (default 64M, or the config's max_body); " +
  "a longer one fails as body_too_large";

export const COMPRESSION_HELP =
  "send Accept-Encoding: identity instead of a browser's gzip, deflate, br (bytes are then wire bytes)";

/** Long because it is a list: one `.option()` per flag of `run`, each with its help text. */
export function runCommand(): CommandUnknownOpts {
  return outAliasOf(
    new Command("run")
      .description("paced open-model load with real Moodle logins: honest latency, files under --out")
      .requiredOption("--config <file>", "config file (JSON; see config.schema.json)")
      .option(
        "--rpm <n>",
        "target requests per minute (overrides the config's rpm/stages); with journeys only: iterations per minute",
        positive("--rpm"),
      )
      .option(
        "--duration <s>",
        "measured run length: seconds or 90s/2m/1h (overrides the config)",
        seconds("--duration"),
      )
      .option("--concurrency <n>", "most requests in flight at once", positiveInt("--concurrency"), 20)
      .addOption(outOption("where the CSV/JSON files go", "stats"))
      .addOption(statsDirAlias())
      .option("--insecure", "do not verify the site's TLS certificate", false)
      .option("--ca-cert <file>", "trust this PEM CA (private PKI) with normal verification")
      .option("--login-timeout <s>", "time limit of one login attempt (s)", seconds("--login-timeout"), 20)
      .option("--request-timeout <s>", "time limit of one page request (s)", seconds("--request-timeout"), 30)
      .option("--max-body <size>", MAX_BODY_HELP, byteSize("--max-body"))
      .option("--no-compression", COMPRESSION_HELP)
      .option(
        "--progress <s>",
        "seconds between progress rows (the CSV; log lines off a terminal — a terminal redraws every second)",
        seconds("--progress"),
        30,
      )
      .option(
        "--warmup <s>",
        "warm-up at the target rate before measuring (not counted)",
        seconds("--warmup", true),
        0,
      )
      .option(
        "--seed <n>",
        "PRNG seed: same seed, same URLs and users (default: random, printed)",
        nonNegativeInt("--seed"),
      )
      .option(
        "--login-concurrency <n>",
        "logins at once before the run",
        positiveInt("--login-concurrency"),
        4,
      )
      .option(
        "--max-retries <n>",
        "retries of a login after a network error, 5xx or timeout",
        nonNegativeInt("--max-retries"),
        3,
      )
      .option("--request-log <file>", "write every request as one JSON line to FILE.jsonl")
      .option("--profile <name>", "load shape from --rpm: normal, peak, stress, spike, endurance, breaking")
      .option(
        "--ipm <n>",
        "journey iterations per minute; with urls too, beside --rpm (one schedule at rpm + ipm, see README)",
        positive("--ipm"),
      )
      .option(
        "--journey <name>",
        "run a built-in journey (forum-post, moodle-testplan, assign-submit) instead of the config's mix, at --ipm (or --rpm) iterations per minute",
      )
      .addOption(thresholdOption())
      .addOption(shardOption())
      .addOption(shardCountOption())
      .addOption(startAtOption())
      .addOption(junitOption())
      .addOption(dashboardOptions()[0])
      .addOption(dashboardOptions()[1])
      .option("--quiet", "no live output (the files are written as usual)", false)
      .option("--json", "only the JSON summary on stdout (tables go to stderr)", false)
      .option("--tag <tag>", "a label recorded in the summary's metadata (compare warns when tags differ)")
      .addHelpText(
        "after",
        `
Examples:
  moodle-load run --config config.json --rpm 600 --duration 5m
  moodle-load run --config config.json --rpm 600 --duration 30m --profile peak --warmup 60 --seed 42
  moodle-load run --config config.json --rpm 6000 --duration 10m --seed 42 --shard 0/4 --start-at 2026-11-21T10:00:00Z

Exit codes: 0 done, 1 a result file could not be written (results still on stdout), 2 bad flags or config,
3 no user could log in, 99 a --threshold crossed,
130 / 143 / 129 stopped by SIGINT / SIGTERM / SIGHUP (files written; a second signal quits at once).`,
      )
      .action(async (options) => {
        const [{ runLoad }, { moodleBackend }, { VERSION }] = await Promise.all([
          import("../commands/run.ts"),
          import("../moodle/backend.ts"),
          import("../version.ts"),
        ]);
        const { thresholdsAfterRun, thresholdsBeforeRun } = await import("../thresholds/run_hook.ts");
        const thresholds = await thresholdsBeforeRun(
          options.config,
          options.threshold,
          options.journey,
          options.junit,
        );
        const statsDir = options.out;
        const summary = await runLoad({ ...options, statsDir }, { backend: moodleBackend, version: VERSION });
        if (summary) await thresholdsAfterRun(summary, thresholds, options.junit);
      }),
    "stats-dir",
  );
}
