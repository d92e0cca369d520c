import { Command, type CommandUnknownOpts } from "@commander-js/extra-typings";
import { addConnectionOptions, CONNECTION_HELP } from "../pg/connection_options.ts";

export function discoverCommand(): CommandUnknownOpts {
  return addConnectionOptions(
    new Command("discover")
      .description(
        "read what each configured user can open (courses, activities, discussions) into the config",
      )
      .requiredOption(
        "--config <file>",
        "config file: its users are looked up, its pools rewritten (db section read)",
      )
      .option("--users-from-config", "discover for the config's users (the default and only source)")
      .option("--course <id...>", "only these courses (ids); default: every course the users are enrolled in")
      .option("--prefix <prefix>", "Moodle table prefix (default mdl_; same as --db-prefix)")
      .option("--dry-run", "show what was found; leave the config as it is"),
  )
    .addHelpText(
      "after",
      `${CONNECTION_HELP}

Reads the database in one READ ONLY transaction and writes "pools" into the config: per user, the
visible courses with an active enrolment, the visible activities of those courses by type, the forum
discussions they can open and the assignments open for their submissions. Use them in "parameters":
  "courseid": {"from": "enrolled_courses"}      "pageid": {"from": "cmids", "module": "page"}
  "d": {"from": "discussions"}                  "assignid": {"from": "assignments"}

Example:
  moodle-load discover --config site.json --db-url postgres://moodle@127.0.0.1/moodle`,
    )
    .action(async (options) => {
      const { discover } = await import("../commands/discover.ts");
      await discover(options);
    });
}
