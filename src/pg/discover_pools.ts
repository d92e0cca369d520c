/**
 * `moodle-load discover`, the pure part: rows read from Moodle's tables (src/pg/discover.ts) → what each
 * configured user can open, as the config's `pools`. Every access rule lives here, once:
 *
 * - enrolled course: an active enrolment, as Moodle's enrol_get_all_users_courses(onlyactive) sees it —
 *   user_enrolments.status = 0, enrol.status = 0, an enabled enrol plugin, timestart < now and
 *   (timeend = 0 or timeend > now) — in a visible course other than the front page;
 * - activity: course_modules.visible = 1, deletioninprogress = 0, its module type enabled
 *   (modules.visible = 1), its section visible, and no availability restriction on the activity or its
 *   section (restrictions depend on dates, grades, groups…: such activities are left out, and counted);
 * - discussion: in a forum that is such an activity, within its display period (timestart/timeend), and
 *   for everybody (groupid -1), or the forum not in separate-groups mode, or the user in its group;
 * - assignment open for submissions: an assign activity with submissions on (nosubmissions = 0), past
 *   allowsubmissionsfromdate and before cutoffdate (per-user overrides and extensions are not read).
 */
import type { ParameterPool, Pools, UserPools } from "../config/schema.ts";
import { poolName, type PoolSizes, poolSizes } from "../config/pools.ts";

export interface SiteUserRow {
  id: number;
  username: string;
  suspended: number;
}

export interface EnrolmentRow {
  userid: number;
  courseid: number;
  ueStatus: number;
  enrolStatus: number;
  enrol: string;
  timestart: number;
  timeend: number;
}

export interface CourseRow {
  id: number;
  shortname: string;
  visible: number;
  /** 0 only for the front page (site course). */
  category: number;
  groupmode: number;
  groupmodeforce: number;
}

export interface ModuleRow {
  cmid: number;
  courseid: number;
  module: string;
  /** mdl_forum.id, mdl_assign.id, …: links discussions and assignments to their activity. */
  instance: number;
  visible: number;
  deletioninprogress: number;
  moduleVisible: number;
  sectionVisible: number;
  /** The activity or its section has an availability restriction. */
  restricted: boolean;
  groupmode: number;
}

export interface DiscussionRow {
  id: number;
  courseid: number;
  forum: number;
  groupid: number;
  timestart: number;
  timeend: number;
}

export interface GroupMemberRow {
  userid: number;
  groupid: number;
}

export interface AssignmentRow {
  instance: number;
  courseid: number;
  nosubmissions: number;
  allowsubmissionsfromdate: number;
  cutoffdate: number;
}

/** Everything discover reads, in one READ ONLY transaction. */
export interface SiteRows {
  nowSec: number;
  /** `enrol_plugins_enabled` split; undefined when the setting is missing (then every plugin counts). */
  enabledEnrolPlugins?: readonly string[];
  users: SiteUserRow[];
  enrolments: EnrolmentRow[];
  courses: CourseRow[];
  modules: ModuleRow[];
  discussions: DiscussionRow[];
  groupMembers: GroupMemberRow[];
  assignments: AssignmentRow[];
}

export function activeEnrolment(row: EnrolmentRow, nowSec: number, enabled?: readonly string[]): boolean {
  return row.ueStatus === 0 && row.enrolStatus === 0 &&
    (enabled === undefined || enabled.includes(row.enrol)) &&
    row.timestart < nowSec && (row.timeend === 0 || row.timeend > nowSec);
}

export function openActivity(row: ModuleRow): boolean {
  return row.visible === 1 && row.deletioninprogress === 0 && row.moduleVisible === 1 &&
    row.sectionVisible === 1 && !row.restricted;
}

function withinPeriod(start: number, end: number, nowSec: number): boolean {
  return (start === 0 || start <= nowSec) && (end === 0 || end > nowSec);
}

export function assignmentOpen(row: AssignmentRow, nowSec: number): boolean {
  return row.nosubmissions === 0 &&
    (row.allowsubmissionsfromdate === 0 || row.allowsubmissionsfromdate <= nowSec) &&
    (row.cutoffdate === 0 || row.cutoffdate > nowSec);
}

/** Per course: its open activities by module name, its viewable discussions (with group), open assignments. */
interface CourseContent {
  cmids: Map<string, number[]>;
  discussions: { id: number; groupid: number; separate: boolean }[];
  assignments: number[];
}

const SEPARATE_GROUPS = 1;

function courseContents(rows: SiteRows, courseIds: ReadonlySet<number>): Map<number, CourseContent> {
  const contents = new Map<number, CourseContent>();
  for (const id of courseIds) contents.set(id, { cmids: new Map(), discussions: [], assignments: [] });
  const courses = new Map(rows.courses.map((c) => [c.id, c]));
  const forums = new Map<number, ModuleRow>();
  const assigns = new Map<number, ModuleRow>();
  for (const m of rows.modules) {
    const content = contents.get(m.courseid);
    if (!content || !openActivity(m)) continue;
    const list = content.cmids.get(m.module) ?? [];
    list.push(m.cmid);
    content.cmids.set(m.module, list);
    if (m.module === "forum") forums.set(m.instance, m);
    if (m.module === "assign") assigns.set(m.instance, m);
  }
  for (const d of rows.discussions) {
    const forum = forums.get(d.forum);
    const course = courses.get(d.courseid);
    if (!forum || !course || !withinPeriod(d.timestart, d.timeend, rows.nowSec)) continue;
    const groupmode = course.groupmodeforce ? course.groupmode : forum.groupmode;
    contents.get(forum.courseid)!.discussions.push({
      id: d.id,
      groupid: d.groupid,
      separate: groupmode === SEPARATE_GROUPS,
    });
  }
  for (const a of rows.assignments) {
    const cm = assigns.get(a.instance);
    if (cm && assignmentOpen(a, rows.nowSec)) contents.get(cm.courseid)!.assignments.push(cm.cmid);
  }
  return contents;
}

const ascending = (a: number, b: number) => a - b;

export interface DiscoverOutcome {
  pools: Pools["users"];
  /** Config users with no (undeleted) account in the database. */
  missing: string[];
  /** Found users with no active enrolment in a visible course (after --course). */
  enrolledNowhere: string[];
  /** Found users whose account is suspended (they cannot log in; pools are still written). */
  suspended: string[];
  /** Per course with at least one configured user: name, users, open activities by type, … */
  courses: CourseSummary[];
  /** Activities left out for an availability restriction, in the users' courses. */
  restricted: number;
}

export interface CourseSummary {
  id: number;
  shortname: string;
  users: number;
  cmids: Record<string, number>;
  discussions: number;
  assignments: number;
}

/** The active, visible courses of each found user (restricted to `onlyCourses` when given). */
function enrolledCourses(rows: SiteRows, onlyCourses?: readonly number[]): Map<number, number[]> {
  const courses = new Map(rows.courses.map((c) => [c.id, c]));
  const only = onlyCourses && new Set(onlyCourses);
  const byUser = new Map<number, Set<number>>();
  for (const e of rows.enrolments) {
    const course = courses.get(e.courseid);
    if (!course || course.visible !== 1 || course.category === 0 || (only && !only.has(e.courseid))) continue;
    if (!activeEnrolment(e, rows.nowSec, rows.enabledEnrolPlugins)) continue;
    const set = byUser.get(e.userid) ?? new Set();
    set.add(e.courseid);
    byUser.set(e.userid, set);
  }
  return new Map([...byUser].map(([user, set]) => [user, [...set].sort(ascending)]));
}

/** Pools for `usernames` (the config's users, in order) from the rows read. */
export function shapePools(
  rows: SiteRows,
  usernames: readonly string[],
  onlyCourses?: readonly number[],
): DiscoverOutcome {
  const usersByName = new Map(rows.users.map((u) => [u.username, u]));
  const enrolled = enrolledCourses(rows, onlyCourses);
  const allCourses = new Set([...enrolled.values()].flat());
  const contents = courseContents(rows, allCourses);
  const groups = new Map<number, Set<number>>();
  for (const g of rows.groupMembers) {
    const set = groups.get(g.userid) ?? new Set();
    set.add(g.groupid);
    groups.set(g.userid, set);
  }
  const outcome: DiscoverOutcome = {
    pools: {},
    missing: [],
    enrolledNowhere: [],
    suspended: [],
    courses: [],
    restricted: rows.modules.filter((m) => allCourses.has(m.courseid) && m.restricted).length,
  };
  const usersPerCourse = new Map<number, number>();
  for (const username of new Set(usernames)) {
    const user = usersByName.get(username);
    if (!user) outcome.missing.push(username);
    else if (user.suspended) outcome.suspended.push(username);
    const courseIds = user ? enrolled.get(user.id) ?? [] : [];
    if (user && courseIds.length === 0) outcome.enrolledNowhere.push(username);
    for (const id of courseIds) usersPerCourse.set(id, (usersPerCourse.get(id) ?? 0) + 1);
    outcome.pools[username] = userPools(courseIds, contents, user ? groups.get(user.id) : undefined);
  }
  outcome.courses = [...usersPerCourse].sort(([a], [b]) => a - b).map(([id, users]) => {
    const content = contents.get(id)!;
    return {
      id,
      shortname: rows.courses.find((c) => c.id === id)?.shortname ?? "",
      users,
      cmids: Object.fromEntries(
        [...content.cmids].sort(([a], [b]) => a.localeCompare(b)).map(([m, l]) => [m, l.length]),
      ),
      discussions: content.discussions.length,
      assignments: content.assignments.length,
    };
  });
  return outcome;
}

function userPools(
  courseIds: readonly number[],
  contents: Map<number, CourseContent>,
  groups: ReadonlySet<number> | undefined,
): UserPools {
  const cmids: Record<string, number[]> = {};
  const discussions: number[] = [];
  const assignments: number[] = [];
  for (const id of courseIds) {
    const content = contents.get(id)!;
    for (const [module, list] of content.cmids) (cmids[module] ??= []).push(...list);
    for (const d of content.discussions) {
      if (d.groupid === -1 || !d.separate || groups?.has(d.groupid)) discussions.push(d.id);
    }
    assignments.push(...content.assignments);
  }
  const sorted: Record<string, number[]> = {};
  for (const module of Object.keys(cmids).sort()) sorted[module] = cmids[module].sort(ascending);
  return {
    enrolled_courses: [...courseIds],
    cmids: sorted,
    discussions: discussions.sort(ascending),
    assignments: assignments.sort(ascending),
  };
}

/** Every pool the users have (enrolled_courses, cmids.<module>…, discussions, assignments) with its sizes. */
export function poolSizeRows(pools: Pools["users"]): ({ pool: string } & PoolSizes)[] {
  const usernames = Object.keys(pools);
  const modules = new Set(Object.values(pools).flatMap((p) => Object.keys(p.cmids ?? {})));
  const refs: ParameterPool[] = [
    { from: "enrolled_courses" },
    ...[...modules].sort().map((module) => ({ from: "cmids" as const, module })),
    { from: "discussions" },
    { from: "assignments" },
  ];
  return refs.map((ref) => ({ pool: poolName(ref), ...poolSizes({ users: pools }, usernames, ref) }));
}
