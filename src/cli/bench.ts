import {
  Command,
  type CommandUnknownOpts,
  InvalidArgumentError,
  Option,
  type OptionValues,
} from "@commander-js/extra-typings";
import { runCommand } from "./run.ts";
import { thresholdOption } from "../thresholds/option.ts";
import { addConnectionOptions, CONNECTION_HELP } from "../pg/connection_options.ts";
import type { CaptureFlags, DbFlags, LoadFlags } from "../commands/bench_deps.ts";
import type { RestoreMode } from "../commands/bench.ts";

/** What commander gives the action for the flags `addBenchOptions` adds. */
export type BenchFlags = Omit<DbFlags, "config"> & CaptureFlags & {
  out: string;
  restore?: string;
  mode: RestoreMode;
  containers?: string[];
  pgStats?: boolean;
  captureInterval: number;
  jobs: string;
  threshold?: string[];
};

/**
 * `run`'s flags, for commands that run the same load (bench, bisect): one definition, so they never
 * drift. run's `--out` (and its alias `--stats-dir`) is left out (the run directory takes its place), and so is any flag the
 * command already has (e.g. `--threshold`). Typed: the action sees them in its options.
 */
export function addRunOptions<Args extends unknown[], Opts extends OptionValues>(
  command: Command<Args, Opts>,
): Command<Args, Opts & LoadFlags> {
  const skip = new Set(["--out", "--stats-dir", ...command.options.map((o) => o.long ?? "")]);
  for (const option of runCommand().options) {
    if (!skip.has(option.long ?? "")) command.addOption(option as Option);
  }
  // The options were copied one by one, so their types are stated here rather than inferred.
  return command as unknown as Command<Args, Opts & LoadFlags>;
}

/** bench's own flags (bisect takes them too). */
export function addBenchOptions<Args extends unknown[], Opts extends OptionValues>(
  command: Command<Args, Opts>,
  defaultOut: string,
): Command<Args, Opts & BenchFlags> {
  (command as unknown as CommandUnknownOpts)
    .addOption(new Option("--out <dir>", "where run directories are created").default(defaultOut))
    .addOption(new Option("--restore <dump>", "restore the database from this dump first (pg_restore)"))
    .addOption(new Option("--mode <mode>", "restore mode").choices(["clean", "drop"]).default("clean"))
    .addOption(new Option("--containers <names...>", "capture these containers' docker stats during the run"))
    .addOption(new Option("--pg-stats", "capture Postgres activity during the run"))
    .addOption(
      new Option("--capture-interval <s>", "seconds between capture samples (docker: whole seconds)")
        .argParser((v) => {
          const n = Number(v);
          if (!(n > 0)) throw new InvalidArgumentError("--capture-interval must be more than 0");
          return n;
        })
        .default(1),
    )
    .addOption(
      new Option(
        "--docker-host <url>",
        "Docker socket (default: DOCKER_HOST, else unix:///var/run/docker.sock)",
      ),
    )
    .addOption(new Option("--jobs <n>", "parallel pg_restore jobs").default("4"))
    .addOption(new Option("--pg-restore-path <path>", "pg_restore to run (default: pg_restore on PATH)"))
    .addOption(new Option("--skip-analyze", "do not ANALYZE after the restore"))
    .addOption(thresholdOption());
  addConnectionOptions(command).addHelpText("after", CONNECTION_HELP);
  // Added through the untyped view (a chain of addOption), so their types are stated here.
  return command as unknown as Command<Args, Opts & BenchFlags>;
}

export function benchCommand(): CommandUnknownOpts {
  const command = addRunOptions(addBenchOptions(
    new Command("bench")
      .description(
        "one measured run end to end: restore → capture → warm-up → load → run directory with manifest and HTML report",
      )
      .option("--tag <tag>", "names the run directory runs/<time>_<tag>", "bench"),
    "runs",
  ));
  return command
    .addHelpText(
      "after",
      `
Example:
  moodle-load bench --config site.json --rpm 600 --duration 5m --warmup 60 --restore moodle.dump \\
    --containers moodle-web moodle-db --pg-stats --tag main --threshold 'p95<800ms'

Exit codes: 0 done, 99 a threshold crossed, 2 bad flags or config, 3 no user could log in,
130 / 143 / 129 stopped by SIGINT / SIGTERM / SIGHUP; a failed step exits non-zero and names the step (what was measured is kept).`,
    )
    .action(async (options) => {
      const [{ benchWithThresholds }, { realBenchDeps }] = await Promise.all([
        import("../commands/bench.ts"),
        import("../commands/bench_deps.ts"),
      ]);
      await benchWithThresholds(options, await realBenchDeps(options, Deno.args));
    });
}
