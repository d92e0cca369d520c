/**
 * `moodle-load discover`: read, for each user of the config, what they can open on the site (see
 * src/pg/discover_pools.ts for the rules) and write it into the config's `pools`, so `{"from": …}`
 * parameters only ever request what the virtual user can see. Read-only on the database; the config
 * is rewritten atomically (keeping its mode), with only `pools` changed.
 */
import { EXIT, UserError } from "../errors.ts";
import { renderTable } from "../output/table.ts";
import { writeFileAtomic } from "../output/atomic.ts";
import { jsonSyntaxError } from "../config/json_error.ts";
import { validateConfig } from "../config/load.ts";
import type { Pools } from "../config/schema.ts";
import type { ConnectionOptionValues } from "../pg/connection_options.ts";
import {
  type ConnectionSettings,
  describeTarget,
  openClient,
  resolveConnectionFromCli,
} from "../pg/connection.ts";
import { readSite, type SiteRead } from "../pg/discover.ts";
import { type DiscoverOutcome, poolSizeRows, shapePools } from "../pg/discover_pools.ts";
import { parseMoodleVersion } from "../pg/users.ts";
import { releaseOfVersion } from "../pg/hash.ts";
import { ConfigTextError, replacePools } from "../pg/user_config.ts";
import { seconds } from "../pg/progress.ts";

export interface DiscoverOptions extends ConnectionOptionValues {
  config: string;
  usersFromConfig?: boolean;
  course?: string[];
  prefix?: string;
  dryRun?: boolean;
}

function usage(message: string): UserError {
  return new UserError(message, EXIT.usage);
}

/** `--course 4 5` / `--course 4,5` → [4, 5]; undefined when not given. */
export function parseCourses(values: readonly string[] | undefined): number[] | undefined {
  if (values === undefined) return undefined;
  const ids = values.flatMap((v) => v.split(",")).map((v) => v.trim()).filter(Boolean).map((text) => {
    const id = Number(text);
    if (!/^\d+$/.test(text) || !Number.isSafeInteger(id) || id < 1) {
      throw usage(`--course: "${text}" is not a course id (a positive whole number)`);
    }
    return id;
  });
  if (ids.length === 0) throw usage("--course: no course id given");
  return [...new Set(ids)].sort((a, b) => a - b);
}

/** The config's usernames, read leniently (the rest of the file may still be incomplete). */
export function configUsernames(text: string, file: string): string[] {
  let input: unknown;
  try {
    input = JSON.parse(text);
  } catch {
    throw usage(`${file}: ${jsonSyntaxError(text)} — fix the file first (nothing was written to it)`);
  }
  const users = (input as { users?: unknown } | null)?.users;
  const names = Array.isArray(users)
    ? users.map((u) => (u as { username?: unknown })?.username).filter((n): n is string =>
      typeof n === "string"
    )
    : [];
  if (names.length === 0) {
    throw usage(
      `${file} has no users — add them first (\`moodle-load users --count N --password P --config ${file}\`)`,
    );
  }
  return [...new Set(names)];
}

function sample(names: readonly string[], max = 5): string {
  return names.slice(0, max).join(", ") + (names.length > max ? `, … (${names.length - max} more)` : "");
}

/** The summary: where from, courses × activity types, pool sizes, then warnings. Pure. */
export function formatDiscovery(
  target: string,
  read: Pick<SiteRead, "version" | "release" | "missingTables">,
  outcome: DiscoverOutcome,
  userCount: number,
): string {
  const version = parseMoodleVersion(read.version);
  const site = version === undefined
    ? "Moodle version unknown"
    : `Moodle ${read.release?.trim() || releaseOfVersion(version)} (${version})`;
  const modules = [...new Set(outcome.courses.flatMap((c) => Object.keys(c.cmids)))].sort();
  const courses = outcome.courses.length
    ? renderTable(
      ["Course", "Short name", "Users", ...modules, "discussions", "open assign"],
      outcome.courses.map((c) => [
        c.id,
        c.shortname,
        c.users,
        ...modules.map((m) => c.cmids[m] ?? 0),
        c.discussions,
        c.assignments,
      ]),
      { align: ["right", "left", ...Array(modules.length + 3).fill("right")] },
    )
    : "  (none: no user has an active enrolment in a visible course)";
  const enrolled = userCount - outcome.missing.length - outcome.enrolledNowhere.length;
  const sizes = renderTable(
    ["Pool", "Users", "Min", "Median", "Max"],
    poolSizeRows(outcome.pools).map((r) => [r.pool, r.users, r.min, r.median, r.max]),
  );
  const warnings = [
    outcome.missing.length &&
    `warning: ${outcome.missing.length} user(s) not in the database (or deleted): ${sample(outcome.missing)}`,
    outcome.enrolledNowhere.length &&
    `warning: ${outcome.enrolledNowhere.length} user(s) enrolled in no visible course: ${
      sample(outcome.enrolledNowhere)
    } — their pools are empty, and \`run\` refuses a pool parameter for them`,
    outcome.suspended.length &&
    `warning: ${outcome.suspended.length} user(s) are suspended and cannot log in: ${
      sample(outcome.suspended)
    }`,
    outcome.restricted > 0 &&
    `note: ${outcome.restricted} activit${
      outcome.restricted === 1 ? "y has" : "ies have"
    } an availability restriction and ${outcome.restricted === 1 ? "is" : "are"} left out`,
    ...read.missingTables.map((table) => `note: no table ${table}: its pool stays empty`),
  ].filter((line): line is string => typeof line === "string" && line !== "");
  return [
    `${target}: ${site}`,
    "",
    `Users: ${userCount} in the config, ${enrolled} enrolled in at least one visible course`,
    "",
    "Courses (visible, with an active enrolment of a configured user) and their open activities:",
    courses,
    "",
    "Per-user pools (values per user):",
    sizes,
    ...warnings,
  ].join("\n");
}

async function readConfigText(file: string): Promise<string> {
  try {
    return await Deno.readTextFile(file);
  } catch (error) {
    const reason = error instanceof Deno.errors.NotFound ? "file not found" : (error as Error).message;
    throw usage(
      `cannot read ${file} (${reason}) — create it first with \`moodle-load users … --config ${file}\``,
    );
  }
}

function settingsPrefix(options: DiscoverOptions): string | undefined {
  if (options.prefix !== undefined && options.dbPrefix !== undefined && options.prefix !== options.dbPrefix) {
    throw usage(`--prefix "${options.prefix}" and --db-prefix "${options.dbPrefix}" differ — give one`);
  }
  return options.prefix ?? options.dbPrefix;
}

async function writePools(file: string, text: string, pools: Pools): Promise<string> {
  let updated: string;
  try {
    updated = replacePools(text, pools);
  } catch (error) {
    if (error instanceof ConfigTextError) {
      throw usage(`${file}: ${error.message} — fix it first (nothing was written to it)`);
    }
    throw error;
  }
  await writeFileAtomic(file, updated);
  try {
    validateConfig(JSON.parse(updated), file);
    return "";
  } catch {
    return `note: ${file} has other problems — run \`moodle-load config check ${file}\``;
  }
}

export async function discover(options: DiscoverOptions): Promise<void> {
  const courses = parseCourses(options.course);
  const dbPrefix = settingsPrefix(options);
  const text = await readConfigText(options.config);
  const usernames = configUsernames(text, options.config);
  const settings: ConnectionSettings = await resolveConnectionFromCli({ ...options, dbPrefix });
  const started = performance.now();
  const client = await openClient(settings);
  let read: SiteRead;
  try {
    read = await readSite(client, settings, usernames);
  } finally {
    await client.end().catch(() => {});
  }
  const outcome = shapePools(read.rows, usernames, courses);
  if (outcome.missing.length === usernames.length) {
    throw new UserError(
      `none of the ${usernames.length} users of ${options.config} is in ${describeTarget(settings)} ` +
        `(prefix ${settings.prefix}) — check the usernames, the database, or run \`moodle-load users\``,
    );
  }
  const target = `${describeTarget(settings)} (prefix ${settings.prefix}; one READ ONLY transaction, ` +
    `${read.queries} queries, ${seconds(performance.now() - started)})`;
  console.log(formatDiscovery(target, read, outcome, usernames.length));
  const version = parseMoodleVersion(read.version);
  const pools: Pools = {
    discovered: {
      at: new Date().toISOString().replace(/\.\d{3}Z$/, "Z"),
      database: describeTarget(settings),
      prefix: settings.prefix,
      moodle_version: version,
      moodle_release: read.release?.trim() || undefined,
      courses,
    },
    users: outcome.pools,
  };
  if (options.dryRun) {
    console.log(`dry run: ${options.config} left as it is`);
    return;
  }
  const note = await writePools(options.config, text, pools);
  console.log(`wrote pools for ${usernames.length} user(s) into ${options.config} (other keys kept)`);
  if (note) console.log(note);
}
