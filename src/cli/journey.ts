import { Command, type CommandUnknownOpts, InvalidArgumentError } from "@commander-js/extra-typings";

function nonNegativeMs(value: string): number {
  const ms = Number(value);
  if (!Number.isFinite(ms) || ms < 0) throw new InvalidArgumentError("a number of milliseconds ≥ 0");
  return ms;
}

export function journeyCommand(): CommandUnknownOpts {
  const journey = new Command("journey").description("work with journeys (multi-step user flows)");
  journey.command("import-har")
    .description(
      "turn a browser recording (HAR) into a journey: the site's pages and form posts, sesskey and " +
        "draft ids from the page at run time, no login, no credentials, think times capped",
    )
    .argument("<file>", "HAR file saved by the browser's developer tools")
    .option("--name <name>", "journey name (default: the file name)")
    .option("--base-url <url>", "the site root (default: guessed from the recording's login page)")
    .option("--max-think-ms <ms>", "longest recorded pause kept as think time", nonNegativeMs, 10_000)
    .option("--out <file>", 'write {"journeys": […]} to FILE instead of stdout')
    .addHelpText("after", "\nExample:\n  moodle-load journey import-har forum.har --out forum-journey.json")
    .action(async (file, options) => {
      const { importHarCommand } = await import("../commands/journey_har.ts");
      await importHarCommand(file, options);
    });
  return journey;
}
