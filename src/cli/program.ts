/** The command-line program: every subcommand, global behaviour, and the permission drop. */
import { Command, type CommanderError, type CommandUnknownOpts } from "@commander-js/extra-typings";
import { VERSION } from "../version.ts";
import { hasColors } from "./color.ts";
import { isCommandName, undeclaredKinds } from "../permissions.ts";
import { compareCommand } from "./compare.ts";
import { configCommand } from "./config.ts";
import { journeyCommand } from "./journey.ts";
import { dbCommand } from "./db.ts";
import { dockerStatsCommand } from "./docker_stats.ts";
import { pgStatsCommand } from "./pg_stats.ts";
import { permissionsCommand } from "./permissions.ts";
import { runCommand } from "./run.ts";
import { demoCommand } from "./demo.ts";
import { usersCommand } from "./users.ts";
import { discoverCommand } from "./discover.ts";
import { reportCommand } from "./report.ts";
import { benchCommand } from "./bench.ts";
import { bisectCommand } from "./bisect.ts";
import { mergeCommand } from "./merge.ts";

/** Subcommands in the order `--help` lists them. Each file builds one; each action lazy-loads its code. */
const SUBCOMMANDS: (() => CommandUnknownOpts)[] = [
  runCommand,
  demoCommand,
  configCommand,
  journeyCommand,
  permissionsCommand,
  usersCommand,
  discoverCommand,
  dbCommand,
  dockerStatsCommand,
  pgStatsCommand,
  benchCommand,
  compareCommand,
  reportCommand,
  mergeCommand,
  bisectCommand,
];

const EXAMPLES = `
Examples:
  moodle-load demo                                a 20-second load against the built-in demo site
  moodle-load run --config config.json --rpm 600 --duration 5m   paced load with real logins
  moodle-load config check config.example.json    validate a config and show the URL mix
  moodle-load journey import-har forum.har        a browser recording as a journey
  moodle-load permissions                         what each subcommand is allowed to do
  moodle-load users --count 100 --password P --config site.json   set test users' passwords
  moodle-load discover --config site.json --db-url postgres://moodle@db/moodle   per-user course/activity pools
  moodle-load db snapshot --out base.dump         dump the database (pg_dump -F c)
  moodle-load db restore --dump base.dump         put the database back to the dump
  moodle-load docker-stats --all --duration 10m   docker stats of every container to CSV
  moodle-load pg-stats --db-url postgres://moodle@db/moodle   database activity to CSV
  moodle-load compare runs/A runs/B --fail-on 'p95>+10%'   did B get slower than A, beyond noise?
  moodle-load report runs/A                        one HTML file with charts, tables and settings
  moodle-load merge shards/0 shards/1 --out merged  one run's shards (run --shard I/N) → one summary
  moodle-load bench --config c.json --rpm 600 --duration 5m --tag main   one measured run → runs/<ts>_main/
  git bisect run moodle-load bisect --baseline runs/A --config c.json --prepare ./deploy.sh   find the slow commit`;

/** "db restore" for the restore command under db; "run" for a top-level one. */
export function fullName(command: CommandUnknownOpts): string {
  const names: string[] = [];
  for (let node: CommandUnknownOpts | null = command; node?.parent; node = node.parent) {
    names.unshift(node.name());
  }
  return names.join(" ");
}

export interface ProgramHooks {
  /** Runs after the permission drop, instead of the action, when set (permission tests). */
  probe?: (command: string) => Promise<void>;
}

export function buildProgram(hooks: ProgramHooks = {}): Command {
  const program = new Command("moodle-load")
    .description("Measure a Moodle site honestly: paced load, database resets, server-side capture.")
    .version(VERSION, "-V, --version")
    .showSuggestionAfterError(true)
    .addHelpText("after", EXAMPLES);
  for (const make of SUBCOMMANDS) program.addCommand(make());

  const configureAll = (command: CommandUnknownOpts) => {
    const name = ["moodle-load", fullName(command)].filter(Boolean).join(" ");
    command.exitOverride().configureOutput({
      getOutHasColors: () => hasColors(Deno.stdout),
      getErrHasColors: () => hasColors(Deno.stderr),
      // Commander prints "error: …" and "(Did you mean …?)" on two lines: make it one, named, with the fix.
      outputError: (text, write) =>
        write(
          `${name}: ${
            text.replace(/^error: /, "").replace(/\n(?=\(Did you mean)/, " ").replace(/\n+$/, "")
          } — see \`${name} --help\`\n`,
        ),
    });
    command.commands.forEach(configureAll);
  };
  configureAll(program);

  program.hook("preAction", async (_root, action) => {
    const name = fullName(action);
    if (!isCommandName(name)) throw new Error(`internal: no permission entry for "${name}"`);
    for (const kind of undeclaredKinds(name)) await Deno.permissions.revoke({ name: kind });
    if (hooks.probe) {
      await hooks.probe(name);
      Deno.exit(0);
    }
  });
  return program;
}

/** Commander's own exits (help, version, usage errors) as exit codes: usage errors are 2. */
export function exitCodeOf(error: CommanderError): number {
  if (error.code === "commander.helpDisplayed" || error.code === "commander.version") return 0;
  // `moodle-load db` without a subcommand: help on stderr with exitCode 1 (a usage error); `help`: 0.
  if (error.code === "commander.help") return error.exitCode === 0 ? 0 : 2;
  return 2;
}
