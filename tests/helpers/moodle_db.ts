/**
 * A Moodle-shaped schema (the tables and columns `users` and `discover` read, as Moodle 4.3 defines them)
 * with generated users, and optionally a small course site.
 */
import type pg from "pg";

export const MOODLE_SCHEMA = (prefix = "mdl_") => `
CREATE TABLE ${prefix}config (
  id BIGSERIAL PRIMARY KEY,
  name VARCHAR(255) NOT NULL DEFAULT '' UNIQUE,
  value TEXT NOT NULL
);
CREATE TABLE ${prefix}user (
  id BIGSERIAL PRIMARY KEY,
  auth VARCHAR(20) NOT NULL DEFAULT 'manual',
  confirmed SMALLINT NOT NULL DEFAULT 0,
  policyagreed SMALLINT NOT NULL DEFAULT 0,
  deleted SMALLINT NOT NULL DEFAULT 0,
  suspended SMALLINT NOT NULL DEFAULT 0,
  mnethostid BIGINT NOT NULL DEFAULT 0,
  username VARCHAR(100) NOT NULL DEFAULT '',
  password VARCHAR(255) NOT NULL DEFAULT '',
  idnumber VARCHAR(255) NOT NULL DEFAULT '',
  firstname VARCHAR(100) NOT NULL DEFAULT '',
  lastname VARCHAR(100) NOT NULL DEFAULT '',
  email VARCHAR(100) NOT NULL DEFAULT '',
  emailstop SMALLINT NOT NULL DEFAULT 0,
  city VARCHAR(120) NOT NULL DEFAULT '',
  country VARCHAR(2) NOT NULL DEFAULT '',
  lang VARCHAR(30) NOT NULL DEFAULT 'en',
  timezone VARCHAR(100) NOT NULL DEFAULT '99',
  firstaccess BIGINT NOT NULL DEFAULT 0,
  lastaccess BIGINT NOT NULL DEFAULT 0,
  lastlogin BIGINT NOT NULL DEFAULT 0,
  currentlogin BIGINT NOT NULL DEFAULT 0,
  lastip VARCHAR(45) NOT NULL DEFAULT '',
  secret VARCHAR(15) NOT NULL DEFAULT '',
  picture BIGINT NOT NULL DEFAULT 0,
  description TEXT,
  descriptionformat SMALLINT NOT NULL DEFAULT 1,
  mailformat SMALLINT NOT NULL DEFAULT 1,
  maildigest SMALLINT NOT NULL DEFAULT 0,
  maildisplay SMALLINT NOT NULL DEFAULT 2,
  autosubscribe SMALLINT NOT NULL DEFAULT 1,
  trackforums SMALLINT NOT NULL DEFAULT 0,
  timecreated BIGINT NOT NULL DEFAULT 0,
  timemodified BIGINT NOT NULL DEFAULT 0,
  trustbitmask BIGINT NOT NULL DEFAULT 0,
  imagealt VARCHAR(255),
  lastnamephonetic VARCHAR(255),
  firstnamephonetic VARCHAR(255),
  middlename VARCHAR(255),
  alternatename VARCHAR(255),
  moodlenetprofile VARCHAR(255),
  UNIQUE (mnethostid, username)
);
CREATE INDEX ${prefix}user_del_ix ON ${prefix}user (deleted);
CREATE INDEX ${prefix}user_con_ix ON ${prefix}user (confirmed);
CREATE INDEX ${prefix}user_las_ix ON ${prefix}user (lastname);
CREATE INDEX ${prefix}user_ema_ix ON ${prefix}user (email);
CREATE TABLE ${prefix}user_preferences (
  id BIGSERIAL PRIMARY KEY,
  userid BIGINT NOT NULL DEFAULT 0,
  name VARCHAR(255) NOT NULL DEFAULT '',
  value VARCHAR(1333) NOT NULL DEFAULT '',
  UNIQUE (userid, name)
);
`;

/** Moodle 4.3's course, enrolment, activity, forum and assignment tables (columns as `\d mdl_…` shows them). */
export const MOODLE_COURSE_SCHEMA = (prefix = "mdl_") => `
CREATE TABLE ${prefix}course (
  id BIGSERIAL PRIMARY KEY,
  category BIGINT NOT NULL DEFAULT 0,
  sortorder BIGINT NOT NULL DEFAULT 0,
  fullname VARCHAR(254) NOT NULL DEFAULT '',
  shortname VARCHAR(255) NOT NULL DEFAULT '',
  idnumber VARCHAR(100) NOT NULL DEFAULT '',
  summary TEXT,
  summaryformat SMALLINT NOT NULL DEFAULT 0,
  format VARCHAR(21) NOT NULL DEFAULT 'topics',
  showgrades SMALLINT NOT NULL DEFAULT 1,
  newsitems INTEGER NOT NULL DEFAULT 1,
  startdate BIGINT NOT NULL DEFAULT 0,
  enddate BIGINT NOT NULL DEFAULT 0,
  relativedatesmode SMALLINT NOT NULL DEFAULT 0,
  marker BIGINT NOT NULL DEFAULT 0,
  maxbytes BIGINT NOT NULL DEFAULT 0,
  legacyfiles SMALLINT NOT NULL DEFAULT 0,
  showreports SMALLINT NOT NULL DEFAULT 0,
  visible SMALLINT NOT NULL DEFAULT 1,
  visibleold SMALLINT NOT NULL DEFAULT 1,
  downloadcontent SMALLINT,
  groupmode SMALLINT NOT NULL DEFAULT 0,
  groupmodeforce SMALLINT NOT NULL DEFAULT 0,
  defaultgroupingid BIGINT NOT NULL DEFAULT 0,
  lang VARCHAR(30) NOT NULL DEFAULT '',
  calendartype VARCHAR(30) NOT NULL DEFAULT '',
  theme VARCHAR(50) NOT NULL DEFAULT '',
  timecreated BIGINT NOT NULL DEFAULT 0,
  timemodified BIGINT NOT NULL DEFAULT 0,
  requested SMALLINT NOT NULL DEFAULT 0,
  enablecompletion SMALLINT NOT NULL DEFAULT 0,
  completionnotify SMALLINT NOT NULL DEFAULT 0,
  cacherev BIGINT NOT NULL DEFAULT 0,
  originalcourseid BIGINT,
  showactivitydates SMALLINT NOT NULL DEFAULT 0,
  showcompletionconditions SMALLINT,
  pdfexportfont VARCHAR(50)
);
CREATE TABLE ${prefix}course_sections (
  id BIGSERIAL PRIMARY KEY,
  course BIGINT NOT NULL DEFAULT 0,
  section BIGINT NOT NULL DEFAULT 0,
  name VARCHAR(255),
  summary TEXT,
  summaryformat SMALLINT NOT NULL DEFAULT 0,
  sequence TEXT,
  visible SMALLINT NOT NULL DEFAULT 1,
  availability TEXT,
  timemodified BIGINT NOT NULL DEFAULT 0
);
CREATE TABLE ${prefix}modules (
  id BIGSERIAL PRIMARY KEY,
  name VARCHAR(20) NOT NULL DEFAULT '',
  cron BIGINT NOT NULL DEFAULT 0,
  lastcron BIGINT NOT NULL DEFAULT 0,
  search VARCHAR(255) NOT NULL DEFAULT '',
  visible SMALLINT NOT NULL DEFAULT 1
);
CREATE TABLE ${prefix}course_modules (
  id BIGSERIAL PRIMARY KEY,
  course BIGINT NOT NULL DEFAULT 0,
  module BIGINT NOT NULL DEFAULT 0,
  instance BIGINT NOT NULL DEFAULT 0,
  section BIGINT NOT NULL DEFAULT 0,
  idnumber VARCHAR(100),
  added BIGINT NOT NULL DEFAULT 0,
  score SMALLINT NOT NULL DEFAULT 0,
  indent INTEGER NOT NULL DEFAULT 0,
  visible SMALLINT NOT NULL DEFAULT 1,
  visibleoncoursepage SMALLINT NOT NULL DEFAULT 1,
  visibleold SMALLINT NOT NULL DEFAULT 1,
  groupmode SMALLINT NOT NULL DEFAULT 0,
  groupingid BIGINT NOT NULL DEFAULT 0,
  completion SMALLINT NOT NULL DEFAULT 0,
  completiongradeitemnumber BIGINT,
  completionview SMALLINT NOT NULL DEFAULT 0,
  completionexpected BIGINT NOT NULL DEFAULT 0,
  completionpassgrade SMALLINT NOT NULL DEFAULT 0,
  showdescription SMALLINT NOT NULL DEFAULT 0,
  availability TEXT,
  deletioninprogress SMALLINT NOT NULL DEFAULT 0,
  downloadcontent SMALLINT DEFAULT 1,
  lang VARCHAR(30)
);
CREATE TABLE ${prefix}enrol (
  id BIGSERIAL PRIMARY KEY,
  enrol VARCHAR(20) NOT NULL DEFAULT '',
  status BIGINT NOT NULL DEFAULT 0,
  courseid BIGINT NOT NULL,
  sortorder BIGINT NOT NULL DEFAULT 0,
  name VARCHAR(255),
  enrolperiod BIGINT DEFAULT 0,
  enrolstartdate BIGINT DEFAULT 0,
  enrolenddate BIGINT DEFAULT 0,
  expirynotify SMALLINT DEFAULT 0,
  expirythreshold BIGINT DEFAULT 0,
  notifyall SMALLINT DEFAULT 0,
  password VARCHAR(50),
  cost VARCHAR(20),
  currency VARCHAR(3),
  roleid BIGINT DEFAULT 0,
  customint1 BIGINT,
  customint2 BIGINT,
  customint3 BIGINT,
  customint4 BIGINT,
  customint5 BIGINT,
  customint6 BIGINT,
  customint7 BIGINT,
  customint8 BIGINT,
  customchar1 VARCHAR(255),
  customchar2 VARCHAR(255),
  customchar3 VARCHAR(1333),
  customdec1 NUMERIC(12,7),
  customdec2 NUMERIC(12,7),
  customtext1 TEXT,
  customtext2 TEXT,
  customtext3 TEXT,
  customtext4 TEXT,
  timecreated BIGINT NOT NULL DEFAULT 0,
  timemodified BIGINT NOT NULL DEFAULT 0
);
CREATE TABLE ${prefix}user_enrolments (
  id BIGSERIAL PRIMARY KEY,
  status BIGINT NOT NULL DEFAULT 0,
  enrolid BIGINT NOT NULL,
  userid BIGINT NOT NULL,
  timestart BIGINT NOT NULL DEFAULT 0,
  timeend BIGINT NOT NULL DEFAULT 2147483647,
  modifierid BIGINT NOT NULL DEFAULT 0,
  timecreated BIGINT NOT NULL DEFAULT 0,
  timemodified BIGINT NOT NULL DEFAULT 0
);
CREATE TABLE ${prefix}groups_members (
  id BIGSERIAL PRIMARY KEY,
  groupid BIGINT NOT NULL DEFAULT 0,
  userid BIGINT NOT NULL DEFAULT 0,
  timeadded BIGINT NOT NULL DEFAULT 0,
  component VARCHAR(100) NOT NULL DEFAULT '',
  itemid BIGINT NOT NULL DEFAULT 0
);
CREATE TABLE ${prefix}forum_discussions (
  id BIGSERIAL PRIMARY KEY,
  course BIGINT NOT NULL DEFAULT 0,
  forum BIGINT NOT NULL DEFAULT 0,
  name VARCHAR(255) NOT NULL DEFAULT '',
  firstpost BIGINT NOT NULL DEFAULT 0,
  userid BIGINT NOT NULL DEFAULT 0,
  groupid BIGINT NOT NULL DEFAULT '-1',
  assessed SMALLINT NOT NULL DEFAULT 1,
  timemodified BIGINT NOT NULL DEFAULT 0,
  usermodified BIGINT NOT NULL DEFAULT 0,
  timestart BIGINT NOT NULL DEFAULT 0,
  timeend BIGINT NOT NULL DEFAULT 0,
  pinned SMALLINT NOT NULL DEFAULT 0,
  timelocked BIGINT NOT NULL DEFAULT 0
);
CREATE TABLE ${prefix}assign (
  id BIGSERIAL PRIMARY KEY,
  course BIGINT NOT NULL DEFAULT 0,
  name VARCHAR(255) NOT NULL DEFAULT '',
  intro TEXT NOT NULL,
  introformat SMALLINT NOT NULL DEFAULT 0,
  alwaysshowdescription SMALLINT NOT NULL DEFAULT 0,
  nosubmissions SMALLINT NOT NULL DEFAULT 0,
  submissiondrafts SMALLINT NOT NULL DEFAULT 0,
  sendnotifications SMALLINT NOT NULL DEFAULT 0,
  sendlatenotifications SMALLINT NOT NULL DEFAULT 0,
  duedate BIGINT NOT NULL DEFAULT 0,
  allowsubmissionsfromdate BIGINT NOT NULL DEFAULT 0,
  grade BIGINT NOT NULL DEFAULT 0,
  timemodified BIGINT NOT NULL DEFAULT 0,
  requiresubmissionstatement SMALLINT NOT NULL DEFAULT 0,
  completionsubmit SMALLINT NOT NULL DEFAULT 0,
  cutoffdate BIGINT NOT NULL DEFAULT 0,
  gradingduedate BIGINT NOT NULL DEFAULT 0,
  teamsubmission SMALLINT NOT NULL DEFAULT 0,
  requireallteammemberssubmit SMALLINT NOT NULL DEFAULT 0,
  teamsubmissiongroupingid BIGINT NOT NULL DEFAULT 0,
  blindmarking SMALLINT NOT NULL DEFAULT 0,
  hidegrader SMALLINT NOT NULL DEFAULT 0,
  revealidentities SMALLINT NOT NULL DEFAULT 0,
  attemptreopenmethod VARCHAR(10) NOT NULL DEFAULT 'none',
  maxattempts INTEGER NOT NULL DEFAULT '-1',
  markingworkflow SMALLINT NOT NULL DEFAULT 0,
  markingallocation SMALLINT NOT NULL DEFAULT 0,
  sendstudentnotifications SMALLINT NOT NULL DEFAULT 1,
  preventsubmissionnotingroup SMALLINT NOT NULL DEFAULT 0,
  activity TEXT,
  activityformat SMALLINT NOT NULL DEFAULT 0,
  timelimit BIGINT NOT NULL DEFAULT 0,
  submissionattachments SMALLINT NOT NULL DEFAULT 0
);
`;

export interface MoodleDbOptions {
  prefix?: string;
  /** mdl_config version, e.g. 2024100700 (4.5) or 2022112800 (4.1). */
  version?: number;
  /** tool_generator_000001 … */
  users?: number;
}

/** Create the schema and `users` generated users (admin + tool_generator_NNNNNN), all usable-looking. */
export async function createMoodleSchema(client: pg.Client, options: MoodleDbOptions = {}): Promise<void> {
  const prefix = options.prefix ?? "mdl_";
  await client.query(MOODLE_SCHEMA(prefix));
  await client.query(
    `INSERT INTO ${prefix}config (name, value) VALUES ('version', $1), ('mnet_localhost_id', '1'),
       ('release', 'test')`,
    [`${options.version ?? 2024100700}.00`],
  );
  await client.query(
    `INSERT INTO ${prefix}user (auth, confirmed, mnethostid, username, password, firstname, lastname, email)
     VALUES ('manual', 1, 1, 'admin', 'x', 'Admin', 'User', 'admin@example.org')`,
  );
  await client.query(
    `INSERT INTO ${prefix}user (auth, confirmed, mnethostid, username, password, firstname, lastname, email,
                                 timecreated, description)
     SELECT 'manual', 1, 1, 'tool_generator_' || lpad(i::text, 6, '0'), '$2y$10$notarealhash',
            'First' || i, 'Last' || i, 'tool_generator_' || i || '@example.org', 1700000000 + i,
            repeat('description ', 5)
       FROM generate_series(1, $1::int) AS i`,
    [options.users ?? 20],
  );
}

/**
 * A small site on MOODLE_COURSE_SCHEMA: course 2 (visible; pages 21-22, forum 23 with discussions 1-2,
 * assignments 24 open and 25 closed, page 26 hidden), course 3 (visible, separate groups forced; page
 * 31, forum 32 with discussion 3 for everybody and 4 for group 7 only), course 4 hidden (page 41).
 * tool_generator_000001 and _000002 are in course 2, _000001 also in 3 (and in group 7); _000002's
 * enrolment in 3 is suspended; _000003 is only in the hidden course; _000004 is enrolled nowhere.
 */
export async function createCourseSite(client: pg.Client, prefix = "mdl_"): Promise<void> {
  await client.query(MOODLE_COURSE_SCHEMA(prefix));
  const t = (name: string) => `${prefix}${name}`;
  await client.query(`
    INSERT INTO ${t("config")} (name, value) VALUES ('enrol_plugins_enabled', 'manual,guest');
    INSERT INTO ${t("modules")} (id, name, visible) VALUES (1, 'assign', 1), (9, 'forum', 1), (16, 'page', 1),
      (17, 'quiz', 0);
    INSERT INTO ${t("course")} (id, category, shortname, visible, groupmode, groupmodeforce) VALUES
      (1, 0, 'site', 1, 0, 0), (2, 1, 'c2', 1, 0, 0), (3, 1, 'c3', 1, 1, 1), (4, 1, 'c4', 0, 0, 0);
    INSERT INTO ${
    t("course_sections")
  } (id, course, section, visible) VALUES (1, 2, 0, 1), (2, 3, 0, 1), (3, 4, 0, 1);
    INSERT INTO ${t("course_modules")} (id, course, module, instance, section, visible, availability) VALUES
      (21, 2, 16, 1, 1, 1, NULL), (22, 2, 16, 2, 1, 1, '{"op":"&","c":[],"showc":[]}'), (23, 2, 9, 1, 1, 1, NULL),
      (24, 2, 1, 1, 1, 1, NULL), (25, 2, 1, 2, 1, 1, NULL), (26, 2, 16, 3, 1, 0, NULL),
      (27, 2, 17, 1, 1, 1, NULL),
      (31, 3, 16, 4, 2, 1, NULL), (32, 3, 9, 2, 2, 1, NULL), (41, 4, 16, 5, 3, 1, NULL);
    INSERT INTO ${t("forum_discussions")} (id, course, forum, groupid) VALUES (1, 2, 1, -1), (2, 2, 1, -1),
      (3, 3, 2, -1), (4, 3, 2, 7);
    INSERT INTO ${t("assign")} (id, course, intro, nosubmissions, cutoffdate) VALUES (1, 2, '', 0, 0),
      (2, 2, '', 0, 1000);
    INSERT INTO ${t("enrol")} (id, enrol, status, courseid) VALUES (1, 'manual', 0, 2), (2, 'manual', 0, 3),
      (3, 'manual', 0, 4), (4, 'self', 0, 2);
  `);
  const uid = (n: number) => `(SELECT id FROM ${t("user")} WHERE username = 'tool_generator_00000${n}')`;
  await client.query(`
    INSERT INTO ${t("user_enrolments")} (enrolid, userid, status) VALUES
      (1, ${uid(1)}, 0), (1, ${uid(2)}, 0), (2, ${uid(1)}, 0), (2, ${uid(2)}, 1), (3, ${uid(3)}, 0),
      (4, ${uid(4)}, 0);
    INSERT INTO ${t("groups_members")} (groupid, userid) VALUES (7, ${uid(1)});
  `);
}
