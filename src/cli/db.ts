import { Command, type CommandUnknownOpts } from "@commander-js/extra-typings";
import { addConnectionOptions, CONNECTION_HELP } from "../pg/connection_options.ts";

export function dbCommand(): CommandUnknownOpts {
  const db = new Command("db").description("snapshot and restore the Moodle database (PostgreSQL)");

  addConnectionOptions(
    db.command("snapshot")
      .description("pg_dump -F c the database to a file (temp file, verified, then renamed)")
      .requiredOption("--out <file>", "the dump file to write")
      .option("--force", "replace --out when it exists")
      .option("--pg-dump-path <path>", "pg_dump to run (default: pg_dump on PATH)")
      .option("--pg-restore-path <path>", "pg_restore used to verify the dump (default: next to pg_dump)")
      .option("--config <file>", "take missing connection settings from this config's db section"),
  )
    .addHelpText(
      "after",
      `${CONNECTION_HELP}\n\nExample:\n  PGPASSWORD=… moodle-load db snapshot --db-url postgres://moodle@127.0.0.1/moodle --out base.dump`,
    )
    .action(async (options) => {
      const { resolveConnectionFromCli } = await import("../pg/connection.ts");
      const { snapshotDatabase } = await import("../pg/snapshot.ts");
      await snapshotDatabase(await resolveConnectionFromCli(options), options);
    });

  addConnectionOptions(
    db.command("restore")
      .description(
        "put the database back to a dump: end other sessions, clean or drop+create, restore, ANALYZE",
      )
      .requiredOption("--dump <file>", "custom-format dump (pg_dump -F c, e.g. from `db snapshot`)")
      .option("--mode <mode>", "clean: drop and re-create the objects; drop: DROP/CREATE DATABASE", "clean")
      .option("--jobs <n>", "parallel pg_restore jobs", "4")
      .option("--pg-restore-path <path>", "pg_restore to run (default: pg_restore on PATH)")
      .option("--skip-analyze", "do not ANALYZE after the restore")
      .option("--maintenance-db <name>", "database to connect to for DROP/CREATE in drop mode", "postgres")
      .option("--config <file>", "take missing connection settings from this config's db section"),
  )
    .addHelpText(
      "after",
      `${CONNECTION_HELP}\n\nExample:\n  moodle-load db restore --db-url postgres://moodle@127.0.0.1/moodle --dump base.dump --mode drop --jobs 4`,
    )
    .action(async (options) => {
      const { resolveConnectionFromCli } = await import("../pg/connection.ts");
      const { parseJobs, parseMode, restoreDatabase } = await import("../pg/restore.ts");
      const mode = parseMode(options.mode);
      const jobs = parseJobs(options.jobs);
      await restoreDatabase(await resolveConnectionFromCli(options), { ...options, mode, jobs });
    });
  return db;
}
