import { Command, type CommandUnknownOpts, InvalidArgumentError, Option } from "@commander-js/extra-typings";
import { runCommand } from "./run.ts";
import { thresholdOption } from "../thresholds/option.ts";
import { addConnectionOptions, CONNECTION_HELP } from "../pg/connection_options.ts";

/**
 * `run`'s flags, for commands that run the same load (bench, bisect): one definition, so they never
 * drift. `--stats-dir` is left out (the run directory takes its place), and so is any flag the
 * command already has (e.g. `--threshold`).
 */
export function addRunOptions(command: CommandUnknownOpts): void {
  const skip = new Set(["--stats-dir", ...command.options.map((o) => o.long ?? "")]);
  for (const option of runCommand().options) {
    if (!skip.has(option.long ?? "")) command.addOption(option as Option);
  }
}

/** bench's own flags (bisect takes them too). */
export function addBenchOptions(command: CommandUnknownOpts, defaultOut: string): void {
  command
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
  addConnectionOptions(command);
  command.addHelpText("after", CONNECTION_HELP);
}

export function benchCommand(): CommandUnknownOpts {
  const command = new Command("bench")
    .description(
      "one measured run end to end: restore → capture → warm-up → load → run directory with manifest and HTML report",
    )
    .option("--tag <tag>", "names the run directory runs/<time>_<tag>", "bench");
  addBenchOptions(command, "runs");
  addRunOptions(command);
  command
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
      const [{ benchCommand }, { realBenchDeps }] = await Promise.all([
        import("../commands/bench.ts"),
        import("../commands/bench_deps.ts"),
      ]);
      // deno-lint-ignore no-explicit-any
      const o = options as any;
      await benchCommand(o, await realBenchDeps(o, Deno.args));
    });
  return command;
}
