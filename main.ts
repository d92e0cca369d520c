/**
 * moodle-load entry point: parse argv → pick the subcommand → drop the permissions it does not
 * declare (src/permissions.ts) → run it. Errors a user can fix end as one line and an exit code.
 */
import { CommanderError } from "@commander-js/extra-typings";
import { buildProgram, exitCodeOf } from "./src/cli/program.ts";
import { UserError } from "./src/errors.ts";

/** Hidden flag for the permission tests: report what the subcommand may do instead of running it. */
const PROBE_FLAG = "--permission-probe";

async function main(rawArgv: string[]): Promise<number> {
  const argv = rawArgv.filter((arg) => arg !== PROBE_FLAG);
  const probe = argv.length !== rawArgv.length
    ? async (command: string) => {
      const { probePermissions } = await import("./src/permission_probe.ts");
      console.log(JSON.stringify({ command, outcomes: await probePermissions() }));
    }
    : undefined;
  const program = buildProgram({ probe });
  try {
    await program.parseAsync(argv, { from: "user" });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) return exitCodeOf(error);
    if (error instanceof UserError) {
      console.error(`moodle-load: ${error.message}`);
      return error.exitCode;
    }
    throw error;
  }
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
