import { Command, type CommandUnknownOpts, InvalidArgumentError } from "@commander-js/extra-typings";
import { byteSize, COMPRESSION_HELP, MAX_BODY_HELP } from "./run.ts";
import { shardCountOption, shardOption, startAtOption } from "./shard.ts";
import { dashboardOptions } from "./dashboard.ts";
import { outAliasOf, outOption, statsDirAlias } from "./out_option.ts";

const positive = (name: string) => (value: string): number => {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`${name} must be a positive number`);
  return n;
};

export function demoCommand(): CommandUnknownOpts {
  return outAliasOf(
    new Command("demo")
      .description("start the built-in Moodle-like demo site on 127.0.0.1 and run a short load against it")
      .option("--duration <s>", "measured seconds", positive("--duration"), 20)
      .option("--rpm <n>", "target requests per minute", positive("--rpm"), 1200)
      .option(
        "--ipm <n>",
        "also run the forum-post journey at N iterations per minute (one schedule with the pages at --rpm)",
        positive("--ipm"),
      )
      .addOption(outOption("where the CSV/JSON files go", "stats"))
      .addOption(statsDirAlias())
      .option(
        "--progress <s>",
        "seconds between progress rows (the CSV; log lines off a terminal — a terminal redraws every second)",
        positive("--progress"),
        5,
      )
      .option("--max-body <size>", MAX_BODY_HELP, byteSize("--max-body"))
      .addOption(shardOption())
      .addOption(shardCountOption())
      .addOption(startAtOption())
      .option("--no-compression", COMPRESSION_HELP)
      .addOption(dashboardOptions()[0])
      .addOption(dashboardOptions()[1])
      .option("--quiet", "no live output (the files are written as usual)", false)
      .option("--json", "only the JSON summary on stdout", false)
      .addHelpText(
        "after",
        "\nExamples:\n  moodle-load demo --duration 20\n  moodle-load demo --duration 60 --dashboard 9464   # live page and /metrics on http://127.0.0.1:9464/",
      )
      .action(async (options) => {
        const [{ runDemo }, { VERSION }] = await Promise.all([
          import("../commands/demo.ts"),
          import("../version.ts"),
        ]);
        await runDemo({ ...options, statsDir: options.out }, VERSION);
      }),
    "stats-dir",
  );
}
