/**
 * `db restore --mode drop`, staged: the dump is restored into a new staging database beside the target,
 * and only a complete restore replaces the target (DROP DATABASE, then RENAME the staging copy).
 *
 * Why staged: the restore itself proves the whole archive (pg_restore reads and decompresses every data
 * block, and exits non-zero on a truncated or corrupted one), so no separate full read is needed before
 * it — that read costs ~15 % of a restore — and a damaged dump, a full disk or a stop signal mid-restore
 * leave the target exactly as it was. The price is room for two copies while it runs.
 */
import type pg from "pg";
import { UserError } from "../errors.ts";
import { quoteIdent } from "./connection.ts";
import { countOtherSessions, terminateOtherSessions } from "./sessions.ts";

export interface DatabaseShape {
  encoding: string;
  collate: string;
  ctype: string;
  owner: string;
  /** "c" libc, "i" ICU (PostgreSQL 15+), "b" builtin (17+). */
  provider: string | null;
  icu: string | null;
}

export interface Me {
  me: string;
  rolsuper: boolean;
  rolcreatedb: boolean;
  /** server_version_num */
  v: number;
}

/** Who we are and what the target looks like (undefined: it does not exist yet). */
export interface DropRights {
  me: Me;
  shape?: DatabaseShape;
}

const literal = (value: string) => `'${value.replaceAll("'", "''")}'`;
const NOT_CHANGED = "(the database was not changed)";

/** Whether this role may drop and re-create `target`; refuses before anything is done when not. */
export async function checkDropRights(admin: pg.Client, target: string): Promise<DropRights> {
  const me = (await admin.query(
    `SELECT current_user AS me, rolsuper, rolcreatedb, current_setting('server_version_num')::int AS v
       FROM pg_roles WHERE rolname = current_user`,
  )).rows[0] as Me;
  const row = (await admin.query(
    `SELECT pg_encoding_to_char(encoding) AS encoding, datcollate AS collate, datctype AS ctype,
            pg_get_userbyid(datdba) AS owner, pg_has_role(datdba, 'MEMBER') AS member,
            to_jsonb(d) ->> 'datlocprovider' AS provider,
            coalesce(to_jsonb(d) ->> 'daticulocale', to_jsonb(d) ->> 'datlocale') AS icu
       FROM pg_database d WHERE datname = $1`,
    [target],
  )).rows[0] as (DatabaseShape & { member: boolean }) | undefined;
  if (!me.rolsuper && !me.rolcreatedb) {
    throw new UserError(
      `${me.me} may not create databases, so --mode drop cannot re-create ${target} — use --mode clean ` +
        `or a role with CREATEDB ${NOT_CHANGED}`,
    );
  }
  if (row && !me.rolsuper && !row.member) {
    throw new UserError(
      `${me.me} does not own ${target}, so it cannot drop it — use --mode clean or connect as its owner ` +
        `${row.owner} ${NOT_CHANGED}`,
    );
  }
  return { me, shape: row };
}

const STAGING_SUFFIX = "_moodle_load_staging";
/** PostgreSQL's identifier limit (NAMEDATALEN - 1), in bytes. */
const MAX_NAME_BYTES = 63;

/** The staging database's name: the target's, cut to fit, with a suffix no Moodle database has. */
export function stagingName(target: string): string {
  const encoder = new TextEncoder();
  let base = target;
  while (encoder.encode(base + STAGING_SUFFIX).length > MAX_NAME_BYTES) {
    base = [...base].slice(0, -1).join("");
  }
  return base + STAGING_SUFFIX;
}

/** The comment that marks a staging database as ours, so a leftover one may be dropped safely. */
const stagingMark = (target: string) => `moodle-load db restore staging copy for ${target}`;

/**
 * Drops a staging database a killed restore left behind (it carries our mark); refuses to touch a
 * database of that name that is not ours.
 */
export async function removeLeftoverStaging(admin: pg.Client, staging: string, target: string, me: Me) {
  const row = (await admin.query(
    `SELECT shobj_description(oid, 'pg_database') AS mark FROM pg_database WHERE datname = $1`,
    [staging],
  )).rows[0] as { mark: string | null } | undefined;
  if (!row) return;
  if (row.mark !== stagingMark(target)) {
    throw new UserError(
      `a database named ${staging} exists and is not a moodle-load staging copy — rename or drop it ` +
        NOT_CHANGED,
    );
  }
  await dropDatabase(admin, staging, me);
}

/** CREATE DATABASE with the target's encoding, locale and owner. */
export async function createDatabase(admin: pg.Client, name: string, me: string, shape?: DatabaseShape) {
  const parts = ["TEMPLATE template0"];
  if (shape) {
    parts.push(`ENCODING ${literal(shape.encoding)}`);
    parts.push(`LC_COLLATE ${literal(shape.collate)}`, `LC_CTYPE ${literal(shape.ctype)}`);
    if (shape.provider === "i" && shape.icu) {
      parts.push(`LOCALE_PROVIDER icu ICU_LOCALE ${literal(shape.icu)}`);
    }
    if (shape.owner !== me) parts.push(`OWNER ${quoteIdent(shape.owner)}`);
  } else parts.push("ENCODING 'UTF8'");
  await admin.query(`CREATE DATABASE ${quoteIdent(name)} ${parts.join(" ")}`);
}

/** A new, empty staging database shaped like the target and marked as ours. */
export async function createStaging(admin: pg.Client, staging: string, target: string, rights: DropRights) {
  try {
    await createDatabase(admin, staging, rights.me.me, rights.shape);
    await admin.query(`COMMENT ON DATABASE ${quoteIdent(staging)} IS ${literal(stagingMark(target))}`);
  } catch (error) {
    if (error instanceof UserError) throw error;
    throw new UserError(`CREATE DATABASE ${staging} failed: ${(error as Error).message} ${NOT_CHANGED}`);
  }
}

/**
 * Replaces `target` by the restored staging copy: DROP the target (its sessions ended), then RENAME.
 * Returns how many client sessions it ended. Between the two statements the target is missing.
 */
export async function swapIn(
  admin: pg.Client,
  staging: string,
  target: string,
  rights: DropRights,
  onDropped: () => void,
): Promise<number> {
  const ended = rights.shape ? await dropDatabase(admin, target, rights.me) : 0;
  onDropped();
  await admin.query(`ALTER DATABASE ${quoteIdent(staging)} RENAME TO ${quoteIdent(target)}`);
  await admin.query(`COMMENT ON DATABASE ${quoteIdent(target)} IS NULL`);
  return ended;
}

/** DROP DATABASE with new sessions kept out; returns how many client sessions it ended. */
export async function dropDatabase(admin: pg.Client, name: string, me: Me): Promise<number> {
  const quoted = quoteIdent(name);
  // Keep new sessions out from here until the drop.
  await admin.query(`ALTER DATABASE ${quoted} ALLOW_CONNECTIONS false`);
  try {
    const sessions = await countOtherSessions(admin, name);
    if (me.v >= 130000 && await tryForcedDrop(admin, quoted)) return sessions;
    const { ended, blocked } = await terminateOtherSessions(admin, name);
    if (blocked.length) {
      throw new UserError(
        `cannot drop ${name}: ${me.me} may not end ${blocked.length} session(s) of other roles on it ` +
          `(${blocked.join(", ")}) — end them, or connect as a superuser ${NOT_CHANGED}`,
      );
    }
    // Without FORCE, DROP DATABASE still ends autovacuum workers itself (waiting up to 5 s).
    await admin.query(`DROP DATABASE ${quoted}`);
    return ended;
  } catch (error) {
    await admin.query(`ALTER DATABASE ${quoted} ALLOW_CONNECTIONS true`).catch(() => {});
    if (error instanceof UserError) throw error;
    throw new UserError(`DROP DATABASE ${name} failed: ${(error as Error).message} (the data is unchanged)`);
  }
}

/**
 * DROP DATABASE … WITH (FORCE) (PostgreSQL 13+) ends the sessions itself. A non-superuser owner gets
 * 42501 when an autovacuum worker is at work on the database (it counts as a superuser's process);
 * it checks every session before ending any, so then nothing happened: false, and the caller ends the
 * client sessions itself and uses a plain DROP DATABASE.
 */
async function tryForcedDrop(admin: pg.Client, quoted: string): Promise<boolean> {
  try {
    await admin.query(`DROP DATABASE ${quoted} WITH (FORCE)`);
    return true;
  } catch (error) {
    if ((error as { code?: string }).code === "42501") return false;
    throw error;
  }
}
