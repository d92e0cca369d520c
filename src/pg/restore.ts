/**
 * `moodle-load db restore`: put a database back to a custom-format dump.
 * Order: check everything that can be checked without touching the database (file, signature,
 * archive readable by this pg_restore), end other sessions, `clean` or `drop` + create, pg_restore
 * with progress, ANALYZE. Each step's duration is printed.
 */
import type pg from "pg";
import { decimalBytes } from "../output/format.ts";
import { EXIT, UserError } from "../errors.ts";
import {
  type ArchiveHeader,
  hasMagic,
  majorOf,
  parseArchiveHeader,
  parseTocList,
  RestoreProgress,
} from "./archive.ts";
import { childEnv, type ConnectionSettings, describeTarget, openClient, quoteIdent } from "./connection.ts";
import { seconds, ToolProgress } from "./progress.ts";
import { Stopper } from "./stopper.ts";
import { checkTool, forEachLine, indent, runTool, Tail, type ToolInfo } from "./tools.ts";
import { readWholeArchive } from "./verify.ts";

export type RestoreMode = "clean" | "drop";

export interface RestoreOptions {
  dump: string;
  mode: RestoreMode;
  jobs: number;
  pgRestorePath?: string;
  skipAnalyze?: boolean;
  /** Database to connect to for DROP/CREATE DATABASE (default "postgres"). */
  maintenanceDb?: string;
}

export interface CheckedArchive {
  header: ArchiveHeader;
  entries: number[];
  bytes: number;
  tool: ToolInfo;
}

const print = (line: string) => console.log(line);

/** conninfo for `-d`, so a database name with "=" or a URI prefix is taken as a name. */
export function conninfoDbname(name: string): string {
  return `dbname='${name.replaceAll("\\", "\\\\").replaceAll("'", "\\'")}'`;
}

export function parseMode(value: string): RestoreMode {
  if (value !== "clean" && value !== "drop") {
    throw new UserError(`--mode: "${value}" is not a mode (clean or drop)`, EXIT.usage);
  }
  return value;
}

export function parseJobs(value: string): number {
  const jobs = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isInteger(jobs) || jobs < 1 || jobs > 64) {
    throw new UserError(`--jobs: "${value}" is not a number of parallel jobs (1-64)`, EXIT.usage);
  }
  return jobs;
}

const UNTOUCHED = "the database was not touched";

/** Step 1: everything about the file and the tool, before the database is touched. */
export async function checkArchive(
  dump: string,
  pgRestorePath = "pg_restore",
  stopper = new Stopper(),
  readers = 1,
): Promise<CheckedArchive> {
  const { header, size } = await readHeader(dump);
  const tool = await checkTool(pgRestorePath, "pg_restore", "--pg-restore-path");
  const dumpMajor = header.dumpedBy ? majorOf(header.dumpedBy) : undefined;
  if (dumpMajor !== undefined && dumpMajor > tool.major) {
    throw new UserError(
      `${dump} was made by pg_dump ${header.dumpedBy}; ${tool.path} is version ${tool.version} and cannot ` +
        `be trusted to read it — pass --pg-restore-path to pg_restore ${dumpMajor} or newer (${UNTOUCHED})`,
    );
  }
  const list = await runTool(tool.path, ["--list", dump], {});
  if (list.code !== 0) {
    const reason = list.stderr.trim().split("\n").at(-1)?.replace(/^pg_restore: (error: )?/, "") ?? "";
    throw new UserError(`pg_restore ${tool.version} cannot read ${dump}: ${reason} — ${UNTOUCHED}`);
  }
  const toc = parseTocList(list.stdout);
  if (toc.ids.length === 0) throw new UserError(`${dump} has no entries to restore — ${UNTOUCHED}`);
  const unreadable = await readWholeArchive(tool.path, dump, toc, stopper, readers);
  stopper.throwIfStopped(UNTOUCHED);
  if (unreadable !== undefined) {
    throw new UserError(
      `${dump} is incomplete or damaged: pg_restore ${tool.version} cannot read all of it (${unreadable}) — ` +
        UNTOUCHED,
    );
  }
  return { header, entries: toc.ids, bytes: size, tool };
}

/** The file exists, is a custom-format archive, and its header parses. */
async function readHeader(dump: string): Promise<{ header: ArchiveHeader; size: number }> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(dump);
  } catch (error) {
    const reason = error instanceof Deno.errors.NotFound ? "no such file" : (error as Error).message;
    throw new UserError(`--dump ${dump}: ${reason} — ${UNTOUCHED}`);
  }
  if (!info.isFile) throw new UserError(`--dump ${dump}: not a file — ${UNTOUCHED}`);
  const head = new Uint8Array(4096);
  const file = await Deno.open(dump, { read: true });
  let read: number;
  try {
    read = (await file.read(head)) ?? 0;
  } finally {
    file.close();
  }
  const bytes = head.subarray(0, read);
  if (!hasMagic(bytes)) {
    throw new UserError(
      `${dump} is not a pg_dump custom-format archive (it does not start with PGDMP; make one with ` +
        `\`moodle-load db snapshot\` or pg_dump -F c) — ${UNTOUCHED}`,
    );
  }
  try {
    return { header: parseArchiveHeader(bytes), size: info.size };
  } catch (error) {
    throw new UserError(`${dump}: ${(error as Error).message} — ${UNTOUCHED}`);
  }
}

/**
 * The sessions a restore must end: client backends. Autovacuum and other background processes are
 * left alone — a non-superuser may not end them ("must be a superuser to terminate superuser
 * process"), autovacuum cancels itself when it blocks DDL, and DROP DATABASE ends it. Sessions of
 * other roles show backend_type NULL to an unprivileged role: a role (usesysid) marks them as clients.
 * to_jsonb: backend_type exists from PostgreSQL 10 on.
 */
const OTHER_SESSIONS = `SELECT pid, usename FROM pg_stat_activity a
  WHERE datname = $1 AND pid <> pg_backend_pid()
    AND (to_jsonb(a) ->> 'backend_type' = 'client backend'
         OR (to_jsonb(a) ->> 'backend_type' IS NULL AND usesysid IS NOT NULL))`;

export interface EndedSessions {
  ended: number;
  /** "pid 123 (role)" of client sessions this role may not end. */
  blocked: string[];
}

/** Step 2: end every other client session on the database (those it may end); waits until they are gone. */
export async function terminateOtherSessions(client: pg.Client, database: string): Promise<EndedSessions> {
  const ended: number[] = [];
  const blocked: string[] = [];
  const rows = (await client.query(OTHER_SESSIONS, [database])).rows as {
    pid: number;
    usename: string | null;
  }[];
  for (const row of rows) {
    try {
      const result = await client.query(`SELECT pg_terminate_backend($1) AS ok`, [row.pid]);
      if (result.rows[0].ok) ended.push(row.pid);
    } catch (error) {
      // 42501: a superuser's session, or another role's without pg_signal_backend.
      if ((error as { code?: string }).code !== "42501") {
        throw new UserError(
          `cannot end the other sessions on ${database}: ${(error as Error).message} (the data is unchanged)`,
        );
      }
      blocked.push(`pid ${row.pid} (${row.usename ?? "another role"})`);
    }
  }
  // pg_terminate_backend only signals: wait (bounded) until the ended ones are gone.
  const deadline = Date.now() + 10_000;
  while (ended.length && Date.now() < deadline) {
    const left = await client.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE pid = ANY($1)`, [
      ended,
    ]);
    if (left.rows[0].n === 0) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { ended: ended.length, blocked };
}

interface DatabaseShape {
  encoding: string;
  collate: string;
  ctype: string;
  owner: string;
  /** "c" libc, "i" ICU (PostgreSQL 15+), "b" builtin (17+). */
  provider: string | null;
  icu: string | null;
}

const literal = (value: string) => `'${value.replaceAll("'", "''")}'`;

interface Me {
  me: string;
  rolsuper: boolean;
  rolcreatedb: boolean;
  /** server_version_num */
  v: number;
}

/** Step 3 (drop): DROP and CREATE through the maintenance database, keeping encoding, locale, owner. */
async function dropAndCreate(settings: ConnectionSettings, maintenance: string): Promise<{ ended: number }> {
  const target = settings.database;
  const admin = await openClient(settings, maintenance);
  try {
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
          `or a role with CREATEDB (the database was not changed)`,
      );
    }
    if (row && !me.rolsuper && !row.member) {
      throw new UserError(
        `${me.me} does not own ${target}, so it cannot drop it — use --mode clean or connect as its owner ` +
          `${row.owner} (the database was not changed)`,
      );
    }
    const ended = row ? await dropDatabase(admin, target, me) : 0;
    await createDatabase(admin, target, me.me, row);
    return { ended };
  } finally {
    await admin.end().catch(() => {});
  }
}

/** DROP DATABASE with new sessions kept out; returns how many client sessions it ended. */
async function dropDatabase(admin: pg.Client, target: string, me: Me): Promise<number> {
  const name = quoteIdent(target);
  // Keep new sessions out from here until the drop (re-created databases allow connections).
  await admin.query(`ALTER DATABASE ${name} ALLOW_CONNECTIONS false`);
  try {
    const sessions = (await admin.query(OTHER_SESSIONS, [target])).rowCount ?? 0;
    if (me.v >= 130000 && await tryForcedDrop(admin, name)) return sessions;
    const { ended, blocked } = await terminateOtherSessions(admin, target);
    if (blocked.length) {
      throw new UserError(
        `cannot drop ${target}: ${me.me} may not end ${blocked.length} session(s) of other roles on it ` +
          `(${blocked.join(", ")}) — end them, or connect as a superuser (the database was not changed)`,
      );
    }
    // Without FORCE, DROP DATABASE still ends autovacuum workers itself (waiting up to 5 s).
    await admin.query(`DROP DATABASE ${name}`);
    return ended;
  } catch (error) {
    await admin.query(`ALTER DATABASE ${name} ALLOW_CONNECTIONS true`).catch(() => {});
    if (error instanceof UserError) throw error;
    throw new UserError(
      `DROP DATABASE ${target} failed: ${(error as Error).message} (the data is unchanged)`,
    );
  }
}

/**
 * DROP DATABASE … WITH (FORCE) (PostgreSQL 13+) ends the sessions itself. A non-superuser owner gets
 * 42501 when an autovacuum worker is at work on the database (it counts as a superuser's process);
 * it checks every session before ending any, so then nothing happened: false, and the caller ends the
 * client sessions itself and uses a plain DROP DATABASE.
 */
async function tryForcedDrop(admin: pg.Client, name: string): Promise<boolean> {
  try {
    await admin.query(`DROP DATABASE ${name} WITH (FORCE)`);
    return true;
  } catch (error) {
    if ((error as { code?: string }).code === "42501") return false;
    throw error;
  }
}

async function createDatabase(admin: pg.Client, target: string, me: string, shape?: DatabaseShape) {
  const parts = ["TEMPLATE template0"];
  if (shape) {
    parts.push(`ENCODING ${literal(shape.encoding)}`);
    parts.push(`LC_COLLATE ${literal(shape.collate)}`, `LC_CTYPE ${literal(shape.ctype)}`);
    if (shape.provider === "i" && shape.icu) {
      parts.push(`LOCALE_PROVIDER icu ICU_LOCALE ${literal(shape.icu)}`);
    }
    if (shape.owner !== me) parts.push(`OWNER ${quoteIdent(shape.owner)}`);
  } else parts.push("ENCODING 'UTF8'");
  try {
    await admin.query(`CREATE DATABASE ${quoteIdent(target)} ${parts.join(" ")}`);
  } catch (error) {
    throw afterDrop(target, `CREATE DATABASE failed: ${(error as Error).message}`);
  }
}

const DROPPED_STATE = (database: string) =>
  `${database} was DROPPED and is now missing or incomplete: re-run the restore ` +
  `(moodle-load db restore --mode drop …) before using it`;

function afterDrop(database: string, what: string, exitCode: number = EXIT.failure): UserError {
  return new UserError(`${what} — ${DROPPED_STATE(database)}`, exitCode);
}

/** Step 4: pg_restore with a progress bar; returns the stderr tail on failure. */
async function runRestore(
  settings: ConnectionSettings,
  options: RestoreOptions,
  archive: CheckedArchive,
  stopper: Stopper,
): Promise<{ code: number; errors: string[] }> {
  const args = ["--verbose", "--no-owner", "--no-privileges", "-j", String(options.jobs)];
  if (options.mode === "clean") args.push("--clean", "--if-exists");
  args.push("-d", conninfoDbname(settings.database), options.dump);
  const child = stopper.spawn(archive.tool.path, args, childEnv(settings));
  const progress = new RestoreProgress(archive.entries);
  const bar = new ToolProgress();
  const errors = new Tail(15);
  const everything = new Tail(15);
  const timer = setInterval(() => draw(), 500);
  const draw = (force = false) => {
    if (progress.phase === "dropping") {
      bar.update(`dropping old objects (${progress.dropped})`, undefined, progress.current, force);
    } else {
      bar.update(
        `restoring ${progress.done}/${progress.total} entries`,
        progress.total ? progress.done / progress.total : undefined,
        progress.current,
        force,
      );
    }
  };
  try {
    await forEachLine(child.stderr, (line) => {
      everything.push(line);
      if (!progress.line(line)) errors.push(line);
      draw();
    });
    const status = await stopper.wait(child);
    draw(true);
    bar.done();
    return { code: status.code, errors: errors.lines.length ? errors.lines : everything.lines };
  } finally {
    clearInterval(timer);
  }
}

/** Where a restore stands, for the line printed when it stops early. */
interface Standing {
  state: string;
}

export async function restoreDatabase(settings: ConnectionSettings, options: RestoreOptions): Promise<void> {
  const target = settings.database;
  const maintenance = options.maintenanceDb ?? "postgres";
  if (options.mode === "drop" && target === maintenance) {
    throw new UserError(
      `refusing to drop ${target}: it is the maintenance database used to drop and create — ` +
        `pass --maintenance-db with another database, or use --mode clean`,
      EXIT.usage,
    );
  }
  if (options.mode === "drop" && (target === "template0" || target === "template1")) {
    throw new UserError(`refusing to drop the template database ${target}`, EXIT.usage);
  }
  const stopper = new Stopper();
  const standing: Standing = { state: UNTOUCHED };
  const dispose = stopper.listen(() => standing.state);
  try {
    await restoreSteps(settings, options, stopper, standing);
  } finally {
    dispose();
  }
}

/** The steps in order; after each, a stop signal ends the command with the state it left. */
async function restoreSteps(
  settings: ConnectionSettings,
  options: RestoreOptions,
  stopper: Stopper,
  standing: Standing,
): Promise<void> {
  const target = settings.database;
  const total = performance.now();
  let started = performance.now();
  const readers = Math.min(options.jobs, navigator.hardwareConcurrency || 1);
  const archive = await checkArchive(options.dump, options.pgRestorePath, stopper, readers);
  print(
    `check    ${seconds(performance.now() - started).padStart(7)}  ${options.dump}: ${
      decimalBytes(archive.bytes)
    }, ${archive.entries.length} entries, all data read back, dumped by pg_dump ${
      archive.header.dumpedBy ?? "?"
    }${archive.header.database ? ` from ${archive.header.database}` : ""}; using ${archive.tool.path} ` +
      `${archive.tool.version}`,
  );

  stopper.throwIfStopped(UNTOUCHED);
  started = performance.now();
  if (options.mode === "clean") {
    await endSessionsForClean(settings);
    standing.state = `${target} is unchanged (its other sessions were ended)`;
  } else {
    // From here a stop cannot undo the DROP: say so.
    standing.state =
      `${target} may have been DROPPED: check it, and re-run the restore if it is missing or empty`;
    const { ended } = await dropAndCreate(settings, options.maintenanceDb ?? "postgres");
    standing.state = DROPPED_STATE(target);
    print(
      `drop     ${
        seconds(performance.now() - started).padStart(7)
      }  ended ${ended} session(s), dropped and re-created ${target}`,
    );
  }
  stopper.throwIfStopped(standing.state);

  await restoreStep(settings, options, archive, stopper, standing);
  if (!options.skipAnalyze) await analyzeStep(settings, stopper, standing);
  print(
    `total    ${seconds(performance.now() - total).padStart(7)}  ${target} restored from ${options.dump}`,
  );
}

/** Step 2 (clean): end the other client sessions; a session it may not end is named, not fatal. */
async function endSessionsForClean(settings: ConnectionSettings): Promise<void> {
  const started = performance.now();
  const target = settings.database;
  const client = await openClient(settings).catch((error) => {
    if (error instanceof UserError && /does not exist/.test(error.message)) {
      throw new UserError(`${error.message.replace(/ — check.*$/, "")} — use --mode drop to create it`);
    }
    throw error;
  });
  try {
    const { ended, blocked } = await terminateOtherSessions(client, target);
    print(
      `sessions ${
        seconds(performance.now() - started).padStart(7)
      }  ended ${ended} other session(s) on ${target}`,
    );
    if (blocked.length) {
      console.error(
        `moodle-load: warning: may not end ${blocked.length} session(s) of other roles on ${target} ` +
          `(${blocked.join(", ")}); pg_restore waits for any lock they hold — end them, or connect as a ` +
          `superuser, if it seems to hang`,
      );
    }
  } finally {
    await client.end().catch(() => {});
  }
}

async function restoreStep(
  settings: ConnectionSettings,
  options: RestoreOptions,
  archive: CheckedArchive,
  stopper: Stopper,
  standing: Standing,
): Promise<void> {
  const target = settings.database;
  const started = performance.now();
  print(`restore  ${describeTarget(settings)} with ${options.jobs} job(s), mode ${options.mode}`);
  const partly = `${target} may now be partly restored: re-run the restore before using it`;
  if (options.mode === "clean") standing.state = partly;
  const result = await runRestore(settings, options, archive, stopper);
  stopper.throwIfStopped(`pg_restore was ended — ${standing.state}`);
  if (result.code !== 0) {
    console.error(`pg_restore exited with ${result.code}; its last lines:\n${indent(result.errors)}`);
    const what = `pg_restore failed (exit ${result.code})`;
    if (options.mode === "drop") throw afterDrop(target, what);
    throw new UserError(
      `${what} — ${target} may now be partly restored: fix the cause and re-run the restore`,
    );
  }
  standing.state = `${target} is fully restored${options.skipAnalyze ? "" : " but not yet ANALYZEd"}`;
  print(
    `restore  ${
      seconds(performance.now() - started).padStart(7)
    }  ${archive.entries.length} entries restored`,
  );
}

/** ANALYZE; a stop cancels it (from a second connection: the first is busy running it). */
async function analyzeStep(
  settings: ConnectionSettings,
  stopper: Stopper,
  standing: Standing,
): Promise<void> {
  const started = performance.now();
  const client = await openClient(settings);
  const pid = (await client.query(`SELECT pg_backend_pid() AS pid`)).rows[0].pid as number;
  const removeHook = stopper.onStop(() => {
    openClient(settings).then(async (other) => {
      await other.query(`SELECT pg_cancel_backend($1)`, [pid]).catch(() => {});
      await other.end().catch(() => {});
    }).catch(() => {});
  });
  try {
    await client.query("ANALYZE");
  } catch (error) {
    stopper.throwIfStopped(`${standing.state}: ANALYZE was cancelled — run ANALYZE before measuring`);
    throw error;
  } finally {
    removeHook();
    await client.end().catch(() => {});
  }
  standing.state = `${settings.database} is fully restored and ANALYZEd`;
  stopper.throwIfStopped(standing.state);
  print(`analyze  ${seconds(performance.now() - started).padStart(7)}`);
}
