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
import { childEnv, type ConnectionSettings, describeTarget, openClient } from "./connection.ts";
import { seconds, ToolProgress } from "./progress.ts";
import { Stopper } from "./stopper.ts";
import { checkTool, forEachLine, indent, runTool, Tail, type ToolInfo } from "./tools.ts";
import { readWholeArchive } from "./verify.ts";
import { terminateOtherSessions } from "./sessions.ts";
import {
  checkDropRights,
  createStaging,
  dropDatabase,
  type DropRights,
  removeLeftoverStaging,
  stagingName,
  swapIn,
} from "./drop_mode.ts";

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
  /** Read every data block back first (clean mode); drop mode's staged restore proves it instead. */
  readData = true,
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
  const unreadable = readData ? await readWholeArchive(tool.path, dump, toc, stopper, readers) : undefined;
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
  const started = performance.now();
  const readers = Math.min(options.jobs, navigator.hardwareConcurrency || 1);
  const readData = options.mode === "clean";
  const archive = await checkArchive(options.dump, options.pgRestorePath, stopper, readers, readData);
  const proof = readData ? "all data read back" : "its data is proven by restoring a staging copy first";
  print(
    `check    ${seconds(performance.now() - started).padStart(7)}  ${options.dump}: ${
      decimalBytes(archive.bytes)
    }, ${archive.entries.length} entries, ${proof}, dumped by pg_dump ${archive.header.dumpedBy ?? "?"}${
      archive.header.database ? ` from ${archive.header.database}` : ""
    }; using ${archive.tool.path} ` +
      `${archive.tool.version}`,
  );

  stopper.throwIfStopped(UNTOUCHED);
  if (options.mode === "clean") await cleanSteps(settings, options, archive, stopper, standing);
  else await stagedDropSteps(settings, options, archive, stopper, standing);
  print(
    `total    ${seconds(performance.now() - total).padStart(7)}  ${target} restored from ${options.dump}`,
  );
}

/** Clean mode: the objects are dropped and re-created in place, so the archive was read in full first. */
async function cleanSteps(
  settings: ConnectionSettings,
  options: RestoreOptions,
  archive: CheckedArchive,
  stopper: Stopper,
  standing: Standing,
): Promise<void> {
  const target = settings.database;
  await endSessionsForClean(settings);
  standing.state = `${target} is unchanged (its other sessions were ended)`;
  stopper.throwIfStopped(standing.state);
  const partly = `${target} may now be partly restored`;
  await restoreStep(settings, options, archive, stopper, standing, partly);
  standing.state = `${target} is fully restored${options.skipAnalyze ? "" : " but not yet ANALYZEd"}`;
  if (!options.skipAnalyze) {
    await analyzeStep(settings, stopper, standing, {
      cancelled: `${standing.state}: ANALYZE was cancelled — run ANALYZE before measuring`,
      done: `${target} is fully restored and ANALYZEd`,
    });
  }
}

/**
 * Drop mode, staged (see drop_mode.ts): restore and ANALYZE a staging copy, then swap it in. Until the
 * swap the target is untouched; the staging copy is removed when anything before the swap fails.
 */
async function stagedDropSteps(
  settings: ConnectionSettings,
  options: RestoreOptions,
  archive: CheckedArchive,
  stopper: Stopper,
  standing: Standing,
): Promise<void> {
  const target = settings.database;
  const admin = await openClient(settings, options.maintenanceDb ?? "postgres");
  try {
    const rights = await checkDropRights(admin, target);
    const staging = stagingName(target);
    await removeLeftoverStaging(admin, staging, target, rights.me);
    await createStaging(admin, staging, target, rights);
    let swapped = false;
    try {
      standing.state = `${UNTOUCHED} (the next restore removes the staging copy ${staging})`;
      const stagingSettings = { ...settings, database: staging };
      const kept = `${target} was not touched (the staging copy is removed)`;
      await restoreStep(stagingSettings, options, archive, stopper, standing, kept);
      if (!options.skipAnalyze) {
        await analyzeStep(stagingSettings, stopper, standing, { cancelled: kept, done: kept });
      }
      stopper.throwIfStopped(kept);
      await swapStep(admin, staging, target, rights, standing);
      swapped = true;
    } finally {
      if (!swapped) {
        await dropDatabase(admin, staging, rights.me).catch((error) =>
          console.error(`moodle-load: warning: could not remove ${staging}: ${(error as Error).message}`)
        );
      }
    }
  } finally {
    await admin.end().catch(() => {});
  }
}

/** Drop mode's last step: DROP the target and RENAME the restored copy to its name. */
async function swapStep(
  admin: pg.Client,
  staging: string,
  target: string,
  rights: DropRights,
  standing: Standing,
) {
  const started = performance.now();
  const dropped = `${target} was DROPPED; the complete restored copy is the database ${staging}: ` +
    `ALTER DATABASE ${staging} RENAME TO ${target}, or re-run the restore`;
  const ended = await swapIn(admin, staging, target, rights, () => standing.state = dropped);
  standing.state = `${target} is fully restored`;
  print(
    `swap     ${
      seconds(performance.now() - started).padStart(7)
    }  ended ${ended} session(s), dropped ${target}, renamed the restored copy ${staging} to ${target}`,
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
  /** The target's state when pg_restore fails or is stopped, e.g. "… may now be partly restored". */
  failState: string,
): Promise<void> {
  const started = performance.now();
  print(`restore  ${describeTarget(settings)} with ${options.jobs} job(s), mode ${options.mode}`);
  const rerun = options.mode === "clean" ? ": re-run the restore before using it" : "";
  standing.state = failState + rerun;
  const result = await runRestore(settings, options, archive, stopper);
  stopper.throwIfStopped(`pg_restore was ended — ${standing.state}`);
  if (result.code !== 0) {
    console.error(`pg_restore exited with ${result.code}; its last lines:\n${indent(result.errors)}`);
    const fix = options.mode === "clean" ? ": fix the cause and re-run the restore" : "";
    throw new UserError(`pg_restore failed (exit ${result.code}) — ${failState}${fix}`);
  }
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
  /** The state a stop during ANALYZE leaves, and once it is done (a stop right after it names this). */
  states: { cancelled: string; done: string },
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
    stopper.throwIfStopped(states.cancelled);
    throw error;
  } finally {
    removeHook();
    await client.end().catch(() => {});
  }
  standing.state = states.done;
  stopper.throwIfStopped(states.done);
  print(`analyze  ${seconds(performance.now() - started).padStart(7)}`);
}
