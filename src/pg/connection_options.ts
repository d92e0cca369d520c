/**
 * The database connection flags as commander options, kept apart from connection.ts so that building
 * the CLI (every start, whatever the subcommand) does not load the `pg` client.
 */
import type { Command, CommandUnknownOpts, OptionValues } from "@commander-js/extra-typings";

/** What commander gives us for the options `addConnectionOptions` adds. */
export type ConnectionOptionValues = {
  dbUrl?: string;
  dbHost?: string;
  dbPort?: string;
  dbName?: string;
  dbUser?: string;
  dbPass?: string;
  dbPrefix?: string;
};

export const CONNECTION_HELP = `
Connection: --db-url, or --db-host/--db-port/--db-name/--db-user/--db-pass; missing settings come
from the config file's "db" section (with --config), then PGHOST/PGPORT/PGDATABASE/PGUSER/PGPASSWORD.
Prefer PGPASSWORD (or ~/.pgpass) over --db-pass: the command line is visible to other users.`;

/** Add the connection flags to a command (typed: the action sees them in its options). */
// deno-lint-ignore no-explicit-any
type AnyArgs = any[];
export function addConnectionOptions<Args extends AnyArgs, Opts extends OptionValues, G extends OptionValues>(
  command: Command<Args, Opts, G>,
): Command<Args, Opts & ConnectionOptionValues, G> {
  (command as unknown as CommandUnknownOpts)
    .option("--db-url <url>", "postgres://user:pass@host:port/dbname")
    .option("--db-host <host>", "database host or unix-socket directory (PGHOST)")
    .option("--db-port <port>", "database port (PGPORT, default 5432)")
    .option("--db-name <name>", "database name (PGDATABASE)")
    .option("--db-user <user>", "database user (PGUSER)")
    .option("--db-pass <password>", "database password (PGPASSWORD; prefer the variable)")
    .option("--db-prefix <prefix>", "Moodle table prefix (default mdl_)");
  return command as unknown as Command<Args, Opts & ConnectionOptionValues, G>;
}
