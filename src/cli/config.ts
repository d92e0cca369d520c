import { Command, type CommandUnknownOpts } from "@commander-js/extra-typings";

export function configCommand(): CommandUnknownOpts {
  const config = new Command("config").description("work with config files");
  config.command("check")
    .description("validate a config file and print what a run would do (passwords never shown)")
    .argument("<file>", "config file (JSON)")
    .option("--json", "print the resolved summary as JSON")
    .addHelpText("after", "\nExample:\n  moodle-load config check config.example.json")
    .action(async (file, options) => {
      const { checkConfig } = await import("../commands/config_check.ts");
      await checkConfig(file, options);
    });
  return config;
}
