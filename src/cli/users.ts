import { Command, type CommandUnknownOpts } from "@commander-js/extra-typings";
import { addConnectionOptions, CONNECTION_HELP } from "../pg/connection_options.ts";

export function usersCommand(): CommandUnknownOpts {
  return addConnectionOptions(
    new Command("users")
      .description("give test users a known password, make their accounts usable, write them into the config")
      .option("--count <n>", "how many users: the first N by id whose username matches --pattern")
      .option("--pattern <like>", "SQL LIKE pattern for usernames", "tool_generator_%")
      .option("--usernames <list>", "exactly these users instead (comma-separated)")
      .option("--password <password>", "the password every selected user gets")
      .option("--hash <kind>", "auto (from the site version), sha512 (Moodle 4.3+) or bcrypt", "auto")
      .option(
        "--config <file>",
        "config file to write the users into (created when missing; db section read)",
      )
      .option("--allow-fewer", "continue when fewer users exist than asked for")
      .option("--dry-run", "show what would change; change nothing"),
  )
    .addHelpText(
      "after",
      `${CONNECTION_HELP}\n\nExample:\n  moodle-load users --count 100 --password 'Test-1234' --config site.json --db-url postgres://moodle@127.0.0.1/moodle`,
    )
    .action(async (options) => {
      const { resolveConnectionFromCli } = await import("../pg/connection.ts");
      const { parseUsersOptions, setUserPasswords } = await import("../pg/users.ts");
      parseUsersOptions(options); // flag mistakes first, before connecting
      await setUserPasswords(await resolveConnectionFromCli(options), options);
    });
}
