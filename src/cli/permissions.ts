import { Command, type CommandUnknownOpts } from "@commander-js/extra-typings";

export function permissionsCommand(): CommandUnknownOpts {
  return new Command("permissions")
    .description("show which Deno permissions each subcommand keeps (all others are revoked)")
    .option("--json", "print the table as JSON")
    .action(async (options) => {
      const { printPermissions } = await import("../commands/permissions.ts");
      printPermissions(options);
    });
}
