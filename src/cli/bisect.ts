import { Command, type CommandUnknownOpts } from "@commander-js/extra-typings";
import { addBenchOptions, addRunOptions } from "./bench.ts";
import { parseDurationSeconds } from "../output/format.ts";

const collect = (value: string, previous: string[] | undefined) => [...(previous ?? []), value];

export function bisectCommand(): CommandUnknownOpts {
  const command = addRunOptions(addBenchOptions(
    new Command("bisect")
      .description(
        "for `git bisect run`: prepare, restore, load, compare with a baseline → exit 0 good, 1 bad, 125 skip",
      )
      .option("--baseline <run>", "the known-good run directory (from bench) to compare against")
      .option("--prepare <cmd>", "shell command that deploys the checked-out commit (non-zero exit → skip)")
      .option("--prepare-timeout <s>", "time limit of --prepare", (v) => parseDurationSeconds(v), 600)
      .option(
        "--wait-for-site <s>",
        "after --prepare, wait up to S seconds for the site to answer",
        (v) => parseDurationSeconds(v),
        0,
      )
      .option("--max-regression <pct>", "the largest significant rise of --metric that is still good", "10%")
      .option("--metric <p>", "the latency percentile judged: p50, p95 or p99", "p95")
      .option(
        "--fail-on <criterion>",
        "instead of --max-regression: compare criteria, repeatable (e.g. 'course_view:p95>+20%')",
        collect,
      )
      .option("--min-effect <pct>", "smallest relative change that gets a verdict (compare)", "5%"),
    "runs/bisect",
  ));
  return command
    .addHelpText(
      "after",
      `
Example (walkthrough: docs/bisect.md):
  git bisect start v4.5.0 v4.4.1
  git bisect run moodle-load bisect --baseline runs/20261121T050000Z_good --config site.json \\
    --prepare ./deploy.sh --restore moodle.dump --rpm 600 --duration 5m --warmup 60 --seed 42

Exit codes: 0 good, 1 bad, 125 skip (prepare/restore failed, site down, login failed),
255 stop the bisect (bad flags, missing baseline).`,
    )
    .action(async (options) => {
      const [{ judgeCommit }, { realBenchDeps }] = await Promise.all([
        import("../commands/bisect.ts"),
        import("../commands/bench_deps.ts"),
      ]);
      await judgeCommit(options, await realBenchDeps(options, Deno.args));
    });
}
