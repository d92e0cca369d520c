/**
 * `moodle-load users`: give N test accounts a known password and make them usable (see
 * docs/moodle-protocol.md, "Test users in the database"), in one transaction, then write them
 * into the config file.
 */
import type pg from "pg";
import { writeFileAtomic } from "../output/atomic.ts";
import { EXIT, UserError } from "../errors.ts";
import { validateConfig } from "../config/load.ts";
import { type ConnectionSettings, describeTarget, openClient, quoteIdent } from "./connection.ts";
import {
  type HashChoice,
  type HashKind,
  hashKindForVersion,
  hashPassword,
  releaseOfVersion,
} from "./hash.ts";
import { seconds } from "./progress.ts";
import { ConfigTextError, type ConfigUser, newConfigText, replaceUsers } from "./user_config.ts";

export interface UsersOptions {
  count?: string;
  usernames?: string;
  pattern: string;
  password?: string;
  hash: string;
  config?: string;
  dryRun?: boolean;
  allowFewer?: boolean;
}

export const CLEARED_PREFERENCES = [
  "auth_forcepasswordchange",
  "login_lockout",
  "login_failed_count",
  "login_failed_last",
] as const;

export interface Selection {
  count?: number;
  usernames?: string[];
  pattern: string;
  hash: HashChoice;
  password: string;
}

/** Pure validation of the flags. */
export function parseUsersOptions(options: UsersOptions): Selection {
  const usage = (message: string) => new UserError(message, EXIT.usage);
  if (options.password === undefined || options.password === "") {
    throw usage("--password is required (the password every selected user gets)");
  }
  if (!["auto", "sha512", "bcrypt"].includes(options.hash)) {
    throw usage(`--hash: "${options.hash}" is not one of auto, sha512, bcrypt`);
  }
  if (options.count !== undefined && options.usernames !== undefined) {
    throw usage("give either --count (with --pattern) or --usernames, not both");
  }
  const selection: Selection = {
    pattern: options.pattern,
    hash: options.hash as HashChoice,
    password: options.password,
  };
  if (options.usernames !== undefined) {
    const names = [...new Set(options.usernames.split(",").map((name) => name.trim()).filter(Boolean))];
    if (names.length === 0) throw usage("--usernames: no names given (a,b,c)");
    selection.usernames = names;
  } else {
    if (options.count === undefined) throw usage("--count N (or --usernames a,b,c) is required");
    const count = Number(options.count);
    if (!/^\d+$/.test(options.count.trim()) || !Number.isSafeInteger(count) || count < 1) {
      throw usage(`--count: "${options.count}" is not a positive whole number`);
    }
    selection.count = count;
  }
  if (selection.pattern === "") throw usage("--pattern must not be empty");
  return selection;
}

/** "2024100700.03" → 2024100700. */
export function parseMoodleVersion(value: string | undefined | null): number | undefined {
  if (value === undefined || value === null) return undefined;
  const version = Math.floor(Number(value));
  return Number.isFinite(version) && version > 2000000000 ? version : undefined;
}

interface UserRow {
  id: string;
  username: string;
  firstname: string | null;
  lastname: string | null;
  email: string | null;
  mnethostid: string;
}

interface Tables {
  user: string;
  preferences: string;
  config: string;
}

function tablesOf(prefix: string): Tables {
  return {
    user: quoteIdent(`${prefix}user`),
    preferences: quoteIdent(`${prefix}user_preferences`),
    config: quoteIdent(`${prefix}config`),
  };
}

async function checkTables(client: pg.Client, settings: ConnectionSettings): Promise<void> {
  const names = ["user", "user_preferences", "config"].map((t) => `${settings.prefix}${t}`);
  const result = await client.query(
    `SELECT name FROM unnest($1::text[]) AS name WHERE to_regclass(quote_ident(name)) IS NULL`,
    [names],
  );
  if (result.rows.length) {
    throw new UserError(
      `${describeTarget(settings)} has no table ${result.rows.map((r) => r.name).join(", ")} — is this the ` +
        `Moodle database, and is --db-prefix (now "${settings.prefix}") right?`,
    );
  }
}

async function configValue(client: pg.Client, tables: Tables, name: string): Promise<string | undefined> {
  const result = await client.query(`SELECT value FROM ${tables.config} WHERE name = $1`, [name]);
  return result.rows[0]?.value ?? undefined;
}

async function selectUsers(client: pg.Client, tables: Tables, selection: Selection): Promise<UserRow[]> {
  // Ordered by the numeric id (the text alias "id" would sort "10" before "2").
  const columns = "u.id::text AS id, username, firstname, lastname, email, mnethostid::text AS mnethostid";
  if (selection.usernames) {
    const result = await client.query(
      `SELECT ${columns} FROM ${tables.user} u WHERE deleted = 0 AND username = ANY($1::text[]) ORDER BY u.id`,
      [selection.usernames],
    );
    return result.rows;
  }
  const result = await client.query(
    `SELECT ${columns} FROM ${tables.user} u WHERE deleted = 0 AND username LIKE $1 ORDER BY u.id LIMIT $2`,
    [selection.pattern, selection.count],
  );
  return result.rows;
}

function sample(names: string[], max = 5): string {
  return names.slice(0, max).join(", ") + (names.length > max ? `, … (${names.length - max} more)` : "");
}

/** Problems this command does not fix (it reports them; it never invents profile data). */
export function profileProblems(rows: UserRow[], mnetLocalId: string | undefined): string[] {
  const problems: string[] = [];
  const missing = rows.flatMap((row) => {
    const fields = (["firstname", "lastname", "email"] as const).filter((f) => !(row[f] ?? "").trim());
    return fields.length ? [`${row.username} (${fields.join("/")})`] : [];
  });
  if (missing.length) {
    problems.push(
      `${missing.length} user(s) lack a firstname/lastname/email, so Moodle sends every page to ` +
        `/user/edit.php: ${sample(missing)}`,
    );
  }
  const upper = rows.filter((row) => row.username !== row.username.toLowerCase()).map((row) => row.username);
  if (upper.length) {
    problems.push(`${upper.length} username(s) are not lower-case and cannot log in: ${sample(upper)}`);
  }
  if (mnetLocalId !== undefined) {
    const remote = rows.filter((row) => row.mnethostid !== mnetLocalId).map((row) => row.username);
    if (remote.length) {
      problems.push(
        `${remote.length} user(s) belong to another MNet host (mnethostid ≠ ${mnetLocalId}) and cannot log ` +
          `in here: ${sample(remote)}`,
      );
    }
  }
  return problems;
}

interface Changes {
  auth: number;
  confirmed: number;
  suspended: number;
  removed: Record<string, number>;
  ignoredAdded: number;
  ignoredUpdated: number;
}

async function applyChanges(
  client: pg.Client,
  tables: Tables,
  ids: string[],
  hash: string,
  write: boolean,
): Promise<Changes> {
  const flags = (await client.query(
    `SELECT count(*) FILTER (WHERE auth <> 'manual')::int AS auth,
            count(*) FILTER (WHERE confirmed <> 1)::int AS confirmed,
            count(*) FILTER (WHERE suspended <> 0)::int AS suspended
       FROM ${tables.user} WHERE id = ANY($1::bigint[])`,
    [ids],
  )).rows[0];
  const removedRows = (await client.query(
    `SELECT name, count(*)::int AS n FROM ${tables.preferences}
      WHERE userid = ANY($1::bigint[]) AND name = ANY($2::text[]) GROUP BY name`,
    [ids, CLEARED_PREFERENCES],
  )).rows;
  const removed = Object.fromEntries(CLEARED_PREFERENCES.map((name) => [name, 0]));
  for (const row of removedRows) removed[row.name] = row.n;
  const ignored = (await client.query(
    `SELECT count(*) FILTER (WHERE value <> '1')::int AS differ, count(*)::int AS present
       FROM ${tables.preferences} WHERE userid = ANY($1::bigint[]) AND name = 'login_lockout_ignored'`,
    [ids],
  )).rows[0];
  const changes: Changes = {
    auth: flags.auth,
    confirmed: flags.confirmed,
    suspended: flags.suspended,
    removed,
    ignoredAdded: ids.length - ignored.present,
    ignoredUpdated: ignored.differ,
  };
  if (!write) return changes;
  await client.query(
    `UPDATE ${tables.user} SET password = $2, auth = 'manual', confirmed = 1, suspended = 0
      WHERE id = ANY($1::bigint[])`,
    [ids, hash],
  );
  await client.query(
    `DELETE FROM ${tables.preferences} WHERE userid = ANY($1::bigint[]) AND name = ANY($2::text[])`,
    [ids, CLEARED_PREFERENCES],
  );
  await client.query(
    `UPDATE ${tables.preferences} SET value = '1'
      WHERE userid = ANY($1::bigint[]) AND name = 'login_lockout_ignored' AND value <> '1'`,
    [ids],
  );
  await client.query(
    `INSERT INTO ${tables.preferences} (userid, name, value)
     SELECT u.id, 'login_lockout_ignored', '1' FROM unnest($1::bigint[]) AS u(id)
      WHERE NOT EXISTS (SELECT 1 FROM ${tables.preferences} p
                         WHERE p.userid = u.id AND p.name = 'login_lockout_ignored')`,
    [ids],
  );
  return changes;
}

async function writeUsersToConfig(file: string, users: ConfigUser[]): Promise<string> {
  let text: string | undefined;
  try {
    text = await Deno.readTextFile(file);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) {
      throw new UserError(`cannot read ${file}: ${(error as Error).message}`);
    }
  }
  let updated: string;
  try {
    updated = text === undefined ? newConfigText(users) : replaceUsers(text, users);
  } catch (error) {
    if (error instanceof ConfigTextError) {
      throw new UserError(`${file}: ${error.message} — fix it first (nothing was written to it)`);
    }
    throw error;
  }
  // The file holds passwords: a new one is readable by its owner only; a rewrite keeps its mode.
  await writeFileAtomic(file, updated, { mode: 0o600 });
  let note = text === undefined
    ? `created ${file} from config.example.json's shape (set base_url and urls)`
    : "";
  try {
    validateConfig(JSON.parse(updated), file);
  } catch {
    note ||= `note: ${file} has other problems — run \`moodle-load config check ${file}\``;
  }
  return note;
}

/** The hash kind: --hash, or (auto) the one the site's Moodle version stores. Prints the choice. */
async function chooseHashKind(
  client: pg.Client,
  settings: ConnectionSettings,
  selection: Selection,
  dry: boolean,
): Promise<HashKind> {
  const version = parseMoodleVersion(await configValue(client, tablesOf(settings.prefix), "version"));
  let kind: HashKind;
  if (selection.hash === "auto") {
    if (version === undefined) {
      throw new UserError(
        `cannot tell the Moodle version (no usable 'version' row in ${settings.prefix}config) — ` +
          `pass --hash sha512 (Moodle 4.3+) or --hash bcrypt`,
      );
    }
    kind = hashKindForVersion(version);
  } else kind = selection.hash;
  const site = version === undefined
    ? "Moodle version unknown"
    : `Moodle ${releaseOfVersion(version)} (${version})`;
  console.log(
    `${describeTarget(settings)}: ${site} → ${kind} hashes${dry ? " — DRY RUN, nothing is changed" : ""}`,
  );
  return kind;
}

/** Stop when users are missing (unless --allow-fewer and some were found); say what is left out. */
function checkSelected(rows: UserRow[], selection: Selection, allowFewer: boolean): void {
  if (selection.usernames) {
    const found = new Set(rows.map((row) => row.username));
    const missing = selection.usernames.filter((name) => !found.has(name));
    if (missing.length && (!allowFewer || rows.length === 0)) {
      throw new UserError(
        `${missing.length} of ${selection.usernames.length} user(s) not found (or deleted): ${
          sample(missing)
        }` +
          (rows.length ? " — pass --allow-fewer to continue with the others" : ""),
      );
    }
    if (missing.length) {
      console.log(`continuing without ${missing.length} missing user(s): ${sample(missing)}`);
    }
  } else if (rows.length < selection.count!) {
    const what = `${rows.length} user(s) match "${selection.pattern}" but --count is ${selection.count}`;
    if (!allowFewer || rows.length === 0) {
      throw new UserError(
        `only ${what} — ${
          rows.length ? "pass --allow-fewer to continue with them, or " : ""
        }create more (admin/tool/generator/cli/maketestsite.php) or change --pattern`,
      );
    }
    console.log(`only ${what}: continuing with ${rows.length} (--allow-fewer)`);
  }
}

/** What the transaction changed (or would have), and what it left for the admin to fix. */
function printChanges(rows: UserRow[], changes: Changes, problems: string[], dry: boolean): void {
  const verb = dry ? "would set" : "set";
  const removed = Object.entries(changes.removed).map(([name, n]) => `${name} ${n}`).join(", ");
  console.log(
    [
      `${dry ? "Would change" : "Changed"} (one transaction${dry ? ", rolled back" : ", committed"}):`,
      `  password               ${verb} for ${rows.length} user(s)`,
      `  auth → manual          ${changes.auth} user(s)`,
      `  confirmed → 1          ${changes.confirmed} user(s)`,
      `  suspended → 0          ${changes.suspended} user(s)`,
      `  preferences removed    ${removed}`,
      `  login_lockout_ignored  ${changes.ignoredAdded} added, ${changes.ignoredUpdated} set to 1, ` +
      `${rows.length - changes.ignoredAdded - changes.ignoredUpdated} already 1`,
    ].join("\n"),
  );
  if (problems.length) {
    console.log(`Left as they are (fix them in Moodle):\n${problems.map((p) => `  ${p}`).join("\n")}`);
  }
}

/** Write the users into --config (unless there is none, or this is a dry run). */
async function saveUsers(rows: UserRow[], selection: Selection, options: UsersOptions): Promise<void> {
  const users = rows.map((row) => ({ username: row.username, password: selection.password }));
  if (!options.config) {
    console.log("no --config given: the users were not written to a config file");
  } else if (options.dryRun) {
    console.log(`would write ${users.length} user(s) into ${options.config} (other keys kept)`);
  } else {
    const note = await writeUsersToConfig(options.config, users);
    console.log(`wrote ${users.length} user(s) into ${options.config} (other keys kept)`);
    if (note) console.log(note);
  }
}

/** Inside one transaction: select, hash once, change every user; commit (or roll back a dry run). */
async function changeUsers(
  client: pg.Client,
  tables: Tables,
  selection: Selection,
  kind: HashKind,
  options: UsersOptions,
): Promise<UserRow[]> {
  const dry = options.dryRun === true;
  await client.query("BEGIN");
  let ended = false;
  try {
    const rows = await selectUsers(client, tables, selection);
    checkSelected(rows, selection, options.allowFewer === true);
    const started = performance.now();
    const hash = hashPassword(selection.password, kind);
    const hashMs = performance.now() - started;
    console.log(
      `selected ${rows.length} user(s)${selection.usernames ? "" : ` matching "${selection.pattern}"`}: ${
        rows[0].username
      } … ${rows.at(-1)!.username}; one ${kind} hash for all (${seconds(hashMs)})`,
    );
    const changes = await applyChanges(client, tables, rows.map((row) => row.id), hash, !dry);
    const problems = profileProblems(rows, await configValue(client, tables, "mnet_localhost_id"));
    await client.query(dry ? "ROLLBACK" : "COMMIT");
    ended = true;
    printChanges(rows, changes, problems, dry);
    return rows;
  } finally {
    if (!ended) await client.query("ROLLBACK").catch(() => {});
  }
}

export async function setUserPasswords(settings: ConnectionSettings, options: UsersOptions): Promise<void> {
  const selection = parseUsersOptions(options);
  const client = await openClient(settings);
  try {
    await checkTables(client, settings);
    const kind = await chooseHashKind(client, settings, selection, options.dryRun === true);
    const rows = await changeUsers(client, tablesOf(settings.prefix), selection, kind, options);
    await saveUsers(rows, selection, options);
  } finally {
    await client.end().catch(() => {});
  }
}
