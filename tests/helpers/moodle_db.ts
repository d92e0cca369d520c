/** A Moodle-shaped schema (the tables and columns `users` touches, as Moodle defines them) with generated users. */
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
