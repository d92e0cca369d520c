import { Command, type CommandUnknownOpts, InvalidArgumentError } from "@commander-js/extra-typings";
import { parseDurationSeconds } from "../output/format.ts";
import { DEFAULT_STATS_DIR } from "../permissions.ts";
import { outAliasOf, outdirAlias, outOption } from "./out_option.ts";

/** "5", "90s", "2m" → seconds; anything else is a usage error (one line, exit 2). */
function seconds(value: string): number {
  try {
    return parseDurationSeconds(value);
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
}

export function dockerStatsCommand(): CommandUnknownOpts {
  return outAliasOf(
    new Command("docker-stats")
      .description(
        "capture `docker stats` numbers per container to CSV, with a live table (reads the Docker socket)",
      )
      .option("--containers <names...>", "container names, ids or unique prefixes")
      .option("--all", "every running container")
      .option(
        "--interval <s>",
        "seconds between rows (at least 1: the Engine samples once a second)",
        seconds,
        1,
      )
      .option("--duration <s>", "how long to capture; 0 = until Ctrl-C", seconds, 0)
      .addOption(outOption("directory for <container>_<ts>_<tag>.csv", DEFAULT_STATS_DIR))
      .addOption(outdirAlias())
      .option("--tag <tag>", "label added to the CSV file names")
      .option("--human", "human units in the live table (MiB for memory, MB for I/O)")
      .option("--print-interval <s>", "seconds between live table updates; 0 = none", seconds, 5)
      .option(
        "--docker-host <url>",
        "unix:///path/to/docker.sock (default: $DOCKER_HOST, else unix:///var/run/docker.sock)",
      )
      .addHelpText(
        "after",
        "\nExample:\n  moodle-load docker-stats --containers moodle db --duration 10m --tag baseline --human",
      )
      .action(async (options) => {
        const { dockerStats } = await import("../docker/capture.ts");
        await dockerStats({ ...options, outdir: options.out });
      }),
    "outdir",
  );
}
