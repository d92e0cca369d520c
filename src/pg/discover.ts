/**
 * `moodle-load discover`, the database side: the SQL that reads what the configured users can open, in
 * one READ ONLY transaction (REPEATABLE READ, so every query sees the same snapshot). It only reads raw
 * rows; which rows count (active enrolment, visible activity, …) is decided in discover_pools.ts.
 */
import type pg from "pg";
import { UserError } from "../errors.ts";
import { type ConnectionSettings, describeTarget, quoteIdent } from "./connection.ts";
import type { SiteRows } from "./discover_pools.ts";

/** Core tables discover cannot do without. */
const REQUIRED = [
  "user",
  "course",
  "enrol",
  "user_enrolments",
  "course_modules",
  "modules",
  "course_sections",
];
/** Plugin tables: when one is missing, its pool stays empty (with a note). */
const OPTIONAL = ["forum_discussions", "groups_members", "assign"] as const;

export interface SiteRead {
  rows: SiteRows;
  version?: string;
  release?: string;
  /** Optional tables the database lacks (their pools are empty). */
  missingTables: string[];
  queries: number;
}

type Row = Record<string, unknown>;
const num = (value: unknown): number => Number(value);

/** The prefix is read, not assumed: `<prefix>config` must exist. Returns the tables that exist. */
async function existingTables(client: pg.Client, settings: ConnectionSettings): Promise<Set<string>> {
  const names = ["config", ...REQUIRED, ...OPTIONAL].map((t) => `${settings.prefix}${t}`);
  const result = await client.query(
    `SELECT name FROM unnest($1::text[]) AS name WHERE to_regclass(quote_ident(name)) IS NOT NULL`,
    [names],
  );
  const present = new Set<string>(result.rows.map((r: Row) => String(r.name).slice(settings.prefix.length)));
  if (!present.has("config")) {
    throw new UserError(
      `${describeTarget(settings)} has no table ${settings.prefix}config — not a Moodle database, or its ` +
        `table prefix is not "${settings.prefix}": give the right one with --prefix`,
    );
  }
  const missing = REQUIRED.filter((t) => !present.has(t));
  if (missing.length) {
    throw new UserError(
      `${describeTarget(settings)} has ${settings.prefix}config but no ${
        missing.map((t) => settings.prefix + t).join(", ")
      } — is this a complete Moodle database?`,
    );
  }
  return present;
}

/** Read everything discover needs for `usernames`; the caller holds the transaction. */
async function readRows(
  client: pg.Client,
  prefix: string,
  usernames: readonly string[],
  present: ReadonlySet<string>,
): Promise<SiteRead> {
  let queries = 0;
  const t = (name: string) => quoteIdent(`${prefix}${name}`);
  const q = async (sql: string, params: unknown[] = []): Promise<Row[]> => {
    queries++;
    return (await client.query(sql, params)).rows;
  };
  const config = new Map(
    (await q(
      `SELECT name, value FROM ${t("config")} WHERE name = ANY($1::text[])`,
      [["version", "release", "enrol_plugins_enabled", "mnet_localhost_id"]],
    )).map((r) => [String(r.name), String(r.value)]),
  );
  const nowSec = num((await q(`SELECT extract(epoch FROM now())::bigint AS now`))[0].now);
  const mnet = config.get("mnet_localhost_id");
  const users = (await q(
    `SELECT id, username, suspended FROM ${t("user")}
      WHERE deleted = 0 AND username = ANY($1::text[]) AND ($2::bigint IS NULL OR mnethostid = $2::bigint)`,
    [usernames, mnet ?? null],
  )).map((r) => ({ id: num(r.id), username: String(r.username), suspended: num(r.suspended) }));
  const userIds = users.map((u) => u.id);
  const enrolments = await readEnrolments(q, t, userIds);
  const courseIds = [...new Set(enrolments.map((e) => e.courseid))];
  const rows: SiteRows = {
    nowSec,
    enabledEnrolPlugins: config.has("enrol_plugins_enabled")
      ? config.get("enrol_plugins_enabled")!.split(",").map((s) => s.trim()).filter(Boolean)
      : undefined,
    users,
    enrolments,
    courses: await readCourses(q, t, courseIds),
    modules: await readModules(q, t, courseIds),
    discussions: present.has("forum_discussions") ? await readDiscussions(q, t, courseIds) : [],
    groupMembers: present.has("groups_members")
      ? (await q(`SELECT userid, groupid FROM ${t("groups_members")} WHERE userid = ANY($1::bigint[])`, [
        userIds,
      ]))
        .map((r) => ({ userid: num(r.userid), groupid: num(r.groupid) }))
      : [],
    assignments: present.has("assign") ? await readAssignments(q, t, courseIds) : [],
  };
  return {
    rows,
    version: config.get("version"),
    release: config.get("release"),
    missingTables: OPTIONAL.filter((name) => !present.has(name)).map((name) => prefix + name),
    queries,
  };
}

type Query = (sql: string, params?: unknown[]) => Promise<Row[]>;
/** A table's quoted name with the prefix. */
type Table = (name: string) => string;

async function readEnrolments(q: Query, t: Table, userIds: number[]): Promise<SiteRows["enrolments"]> {
  return (await q(
    `SELECT ue.userid, e.courseid, ue.status AS ue_status, e.status AS enrol_status, e.enrol, ue.timestart,
            ue.timeend
       FROM ${t("user_enrolments")} ue JOIN ${t("enrol")} e ON e.id = ue.enrolid
      WHERE ue.userid = ANY($1::bigint[])`,
    [userIds],
  )).map((r) => ({
    userid: num(r.userid),
    courseid: num(r.courseid),
    ueStatus: num(r.ue_status),
    enrolStatus: num(r.enrol_status),
    enrol: String(r.enrol),
    timestart: num(r.timestart),
    timeend: num(r.timeend),
  }));
}

async function readCourses(q: Query, t: Table, courseIds: number[]): Promise<SiteRows["courses"]> {
  return (await q(
    `SELECT id, shortname, visible, category, groupmode, groupmodeforce FROM ${t("course")}
      WHERE id = ANY($1::bigint[])`,
    [courseIds],
  )).map((r) => ({
    id: num(r.id),
    shortname: String(r.shortname),
    visible: num(r.visible),
    category: num(r.category),
    groupmode: num(r.groupmode),
    groupmodeforce: num(r.groupmodeforce),
  }));
}

async function readDiscussions(q: Query, t: Table, courseIds: number[]): Promise<SiteRows["discussions"]> {
  return (await q(
    `SELECT id, course, forum, groupid, timestart, timeend FROM ${t("forum_discussions")}
      WHERE course = ANY($1::bigint[])`,
    [courseIds],
  )).map((r) => ({
    id: num(r.id),
    courseid: num(r.course),
    forum: num(r.forum),
    groupid: num(r.groupid),
    timestart: num(r.timestart),
    timeend: num(r.timeend),
  }));
}

async function readAssignments(q: Query, t: Table, courseIds: number[]): Promise<SiteRows["assignments"]> {
  return (await q(
    `SELECT id, course, nosubmissions, allowsubmissionsfromdate, cutoffdate FROM ${t("assign")}
      WHERE course = ANY($1::bigint[])`,
    [courseIds],
  )).map((r) => ({
    instance: num(r.id),
    courseid: num(r.course),
    nosubmissions: num(r.nosubmissions),
    allowsubmissionsfromdate: num(r.allowsubmissionsfromdate),
    cutoffdate: num(r.cutoffdate),
  }));
}

async function readModules(q: Query, t: Table, courseIds: number[]): Promise<SiteRows["modules"]> {
  return (await q(
    `SELECT cm.id, cm.course, m.name AS module, cm.instance, cm.visible, cm.deletioninprogress,
            m.visible AS module_visible, coalesce(cs.visible, 1) AS section_visible,
            cm.availability, cs.availability AS section_availability, cm.groupmode
       FROM ${t("course_modules")} cm
       JOIN ${t("modules")} m ON m.id = cm.module
       LEFT JOIN ${t("course_sections")} cs ON cs.id = cm.section
      WHERE cm.course = ANY($1::bigint[])
      ORDER BY cm.id`,
    [courseIds],
  )).map((r) => ({
    cmid: num(r.id),
    courseid: num(r.course),
    module: String(r.module),
    instance: num(r.instance),
    visible: num(r.visible),
    deletioninprogress: num(r.deletioninprogress),
    moduleVisible: num(r.module_visible),
    sectionVisible: num(r.section_visible),
    restricted: hasRestriction(r.availability) || hasRestriction(r.section_availability),
    groupmode: num(r.groupmode),
  }));
}

/**
 * Whether an availability value (JSON tree, or NULL) restricts access: any condition in its tree. An
 * empty tree (`{"op":"&","c":[],"showc":[]}`, left after removing the last condition) does not; text
 * that is not JSON counts as a restriction (better to leave an activity out than to request a 403).
 */
export function hasRestriction(value: unknown): boolean {
  if (value === null || value === undefined || String(value).trim() === "") return false;
  try {
    const tree = JSON.parse(String(value));
    return !(Array.isArray(tree?.c) && tree.c.length === 0);
  } catch {
    return true;
  }
}

/** One REPEATABLE READ, READ ONLY transaction around the whole read: nothing is written, one snapshot. */
export async function readSite(
  client: pg.Client,
  settings: ConnectionSettings,
  usernames: readonly string[],
): Promise<SiteRead> {
  await client.query("BEGIN TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY");
  try {
    const present = await existingTables(client, settings);
    return await readRows(client, settings.prefix, usernames, present);
  } finally {
    await client.query("ROLLBACK").catch(() => {});
  }
}
