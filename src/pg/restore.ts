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
import { checkTool, forEachLine, indent, runTool, spawnInterruptible, Tail, type ToolInfo } from "./tools.ts";

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

/** Step 1: everything about the file and the tool, before the database is touched. */
export async function checkArchive(dump: string, pgRestorePath = "pg_restore"): Promise<CheckedArchive> {
  const untouched = "the database was not touched";
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(dump);
  } catch (error) {
    const reason = error instanceof Deno.errors.NotFound ? "no such file" : (error as Error).message;
    throw new UserError(`--dump ${dump}: ${reason} — ${untouched}`);
  }
  if (!info.isFile) throw new UserError(`--dump ${dump}: not a file — ${untouched}`);
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
        `\`moodle-load db snapshot\` or pg_dump -F c) — ${untouched}`,
    );
  }
  let header: ArchiveHeader;
  try {
    header = parseArchiveHeader(bytes);
  } catch (error) {
    throw new UserError(`${dump}: ${(error as Error).message} — ${untouched}`);
  }
  const tool = await checkTool(pgRestorePath, "pg_restore", "--pg-restore-path");
  const dumpMajor = header.dumpedBy ? majorOf(header.dumpedBy) : undefined;
  if (dumpMajor !== undefined && dumpMajor > tool.major) {
    throw new UserError(
      `${dump} was made by pg_dump ${header.dumpedBy}; ${tool.path} is version ${tool.version} and cannot ` +
        `be trusted to read it — pass --pg-restore-path to pg_restore ${dumpMajor} or newer (${untouched})`,
    );
  }
  const list = await runTool(tool.path, ["--list", dump], {});
  if (list.code !== 0) {
    const reason = list.stderr.trim().split("\n").at(-1)?.replace(/^pg_restore: (error: )?/, "") ?? "";
    throw new UserError(`pg_restore ${tool.version} cannot read ${dump}: ${reason} — ${untouched}`);
  }
  const toc = parseTocList(list.stdout);
  if (toc.ids.length === 0) throw new UserError(`${dump} has no entries to restore — ${untouched}`);
  return { header, entries: toc.ids, bytes: info.size, tool };
}

/** Step 2: end every other session on the database; returns how many were ended. */
export async function terminateOtherSessions(client: pg.Client, database: string): Promise<number> {
  let ended = 0;
  try {
    const result = await client.query(
      `SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity
        WHERE datname = $1 AND pid <> pg_backend_pid()`,
      [database],
    );
    ended = result.rows.filter((row) => row.ok).length;
  } catch (error) {
    throw new UserError(
      `cannot end the other sessions on ${database}: ${(error as Error).message} — connect as a superuser ` +
        `or a role with pg_signal_backend (the database was not changed)`,
    );
  }
  // pg_terminate_backend only signals: wait (bounded) until they are gone.
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const left = await client.query(
      `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`,
      [database],
    );
    if (left.rows[0].n === 0) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return ended;
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

/** Step 3 (drop): DROP and CREATE through the maintenance database, keeping encoding, locale, owner. */
async function dropAndCreate(settings: ConnectionSettings, maintenance: string): Promise<{ ended: number }> {
  const target = settings.database;
  const admin = await openClient(settings, maintenance);
  try {
    const me = (await admin.query(
      `SELECT current_user AS me, rolsuper, rolcreatedb, current_setting('server_version_num')::int AS v
         FROM pg_roles WHERE rolname = current_user`,
    )).rows[0];
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
    let ended = 0;
    if (row) {
      // Keep new sessions out from here until the drop (re-created databases allow connections).
      await admin.query(`ALTER DATABASE ${quoteIdent(target)} ALLOW_CONNECTIONS false`);
      try {
        ended = await terminateOtherSessions(admin, target);
        await admin.query(`DROP DATABASE ${quoteIdent(target)}${me.v >= 130000 ? " WITH (FORCE)" : ""}`);
      } catch (error) {
        await admin.query(`ALTER DATABASE ${quoteIdent(target)} ALLOW_CONNECTIONS true`).catch(() => {});
        if (error instanceof UserError) throw error;
        throw new UserError(
          `DROP DATABASE ${target} failed: ${(error as Error).message} (the data is unchanged)`,
        );
      }
    }
    const shape = row ?? undefined;
    const parts = ["TEMPLATE template0"];
    if (shape) {
      parts.push(`ENCODING ${literal(shape.encoding)}`);
      parts.push(`LC_COLLATE ${literal(shape.collate)}`, `LC_CTYPE ${literal(shape.ctype)}`);
      if (shape.provider === "i" && shape.icu) {
        parts.push(`LOCALE_PROVIDER icu ICU_LOCALE ${literal(shape.icu)}`);
      }
      if (shape.owner !== me.me) parts.push(`OWNER ${quoteIdent(shape.owner)}`);
    } else parts.push("ENCODING 'UTF8'");
    try {
      await admin.query(`CREATE DATABASE ${quoteIdent(target)} ${parts.join(" ")}`);
    } catch (error) {
      throw afterDrop(target, `CREATE DATABASE failed: ${(error as Error).message}`);
    }
    return { ended };
  } finally {
    await admin.end().catch(() => {});
  }
}

function afterDrop(database: string, what: string, exitCode: number = EXIT.failure): UserError {
  return new UserError(
    `${what} — ${database} was DROPPED and is now missing or incomplete: re-run the restore ` +
      `(moodle-load db restore --mode drop …) before using it`,
    exitCode,
  );
}

/** Step 4: pg_restore with a progress bar; returns the stderr tail on failure. */
async function runRestore(
  settings: ConnectionSettings,
  options: RestoreOptions,
  archive: CheckedArchive,
): Promise<{ code: number; errors: string[] }> {
  const args = ["--verbose", "--no-owner", "--no-privileges", "-j", String(options.jobs)];
  if (options.mode === "clean") args.push("--clean", "--if-exists");
  args.push("-d", conninfoDbname(settings.database), options.dump);
  const tool = spawnInterruptible(archive.tool.path, args, childEnv(settings));
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
    await forEachLine(tool.child.stderr, (line) => {
      everything.push(line);
      if (!progress.line(line)) errors.push(line);
      draw();
    });
    const status = await tool.child.status;
    draw(true);
    bar.done();
    return {
      code: tool.exitCode(status),
      errors: errors.lines.length ? errors.lines : everything.lines,
    };
  } finally {
    clearInterval(timer);
    tool.release();
  }
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
  const total = performance.now();
  let started = performance.now();
  const archive = await checkArchive(options.dump, options.pgRestorePath);
  print(
    `check    ${seconds(performance.now() - started).padStart(7)}  ${options.dump}: ${
      decimalBytes(archive.bytes)
    }, ` +
      `${archive.entries.length} entries, dumped by pg_dump ${archive.header.dumpedBy ?? "?"}` +
      `${archive.header.database ? ` from ${archive.header.database}` : ""}; using ${archive.tool.path} ` +
      `${archive.tool.version}`,
  );

  started = performance.now();
  if (options.mode === "clean") {
    const client = await openClient(settings).catch((error) => {
      if (error instanceof UserError && /does not exist/.test(error.message)) {
        throw new UserError(`${error.message.replace(/ — check.*$/, "")} — use --mode drop to create it`);
      }
      throw error;
    });
    try {
      const ended = await terminateOtherSessions(client, target);
      print(
        `sessions ${
          seconds(performance.now() - started).padStart(7)
        }  ended ${ended} other session(s) on ${target}`,
      );
    } finally {
      await client.end().catch(() => {});
    }
  } else {
    const { ended } = await dropAndCreate(settings, maintenance);
    print(
      `drop     ${
        seconds(performance.now() - started).padStart(7)
      }  ended ${ended} session(s), dropped and re-created ${target}`,
    );
  }

  started = performance.now();
  print(`restore  ${describeTarget(settings)} with ${options.jobs} job(s), mode ${options.mode}`);
  const result = await runRestore(settings, options, archive);
  if (result.code !== 0) {
    const interrupted = result.code === 130;
    if (!interrupted) {
      console.error(`pg_restore exited with ${result.code}; its last lines:\n${indent(result.errors)}`);
    }
    const what = interrupted
      ? "interrupted (Ctrl-C) during pg_restore"
      : `pg_restore failed (exit ${result.code})`;
    const exitCode = interrupted ? EXIT.interrupted : EXIT.failure;
    if (options.mode === "drop") throw afterDrop(target, what, exitCode);
    throw new UserError(
      `${what} — ${target} may now be partly restored: ${
        interrupted ? "" : "fix the cause and "
      }re-run the restore before using it`,
      exitCode,
    );
  }
  print(
    `restore  ${
      seconds(performance.now() - started).padStart(7)
    }  ${archive.entries.length} entries restored`,
  );

  if (!options.skipAnalyze) {
    started = performance.now();
    const client = await openClient(settings);
    try {
      await client.query("ANALYZE");
    } finally {
      await client.end().catch(() => {});
    }
    print(`analyze  ${seconds(performance.now() - started).padStart(7)}`);
  }
  print(
    `total    ${seconds(performance.now() - total).padStart(7)}  ${target} restored from ${options.dump}`,
  );
}
