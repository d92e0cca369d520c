/**
 * `moodle-load db snapshot`: pg_dump -F c of the database to a temp file next to `--out`, verified
 * (`pg_restore --list`, then every data block read back), then renamed into place. A stop signal ends
 * pg_dump's whole process group and removes the temp file.
 */
import { decimalBytes } from "../output/format.ts";
import { UserError } from "../errors.ts";
import { parseTocList } from "./archive.ts";
import { childEnv, type ConnectionSettings, describeTarget, openClient } from "./connection.ts";
import { seconds, ToolProgress } from "./progress.ts";
import { conninfoDbname } from "./restore.ts";
import { Stopper } from "./stopper.ts";
import { checkTool, forEachLine, indent, runTool, siblingTool, Tail, type ToolInfo } from "./tools.ts";
import { readWholeArchive } from "./verify.ts";

export interface SnapshotOptions {
  out: string;
  force?: boolean;
  pgDumpPath?: string;
  pgRestorePath?: string;
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

export async function snapshotDatabase(
  settings: ConnectionSettings,
  options: SnapshotOptions,
): Promise<void> {
  const started = performance.now();
  const { dump, restore, tables } = await preflight(settings, options);
  const temp = `${options.out}.${crypto.randomUUID().slice(0, 8)}.partial`;
  const unchanged = `no snapshot written (${options.out} unchanged)`;
  const stopper = new Stopper();
  const dispose = stopper.listen(() => unchanged, () => {
    try {
      Deno.removeSync(temp);
    } catch { /* not created yet, or gone */ }
  });
  try {
    const code = await runDump(settings, dump, temp, tables, stopper);
    stopper.throwIfStopped(unchanged);
    if (code !== 0) throw new UserError(`pg_dump failed (exit ${code}) — ${unchanged}`);
    const toc = await verifyDump(restore, temp, stopper, unchanged);
    const info = await Deno.stat(temp);
    try {
      await Deno.rename(temp, options.out);
    } catch (error) {
      throw new UserError(`cannot move the dump to ${options.out}: ${(error as Error).message}`);
    }
    console.log(
      `wrote ${options.out}: ${decimalBytes(info.size)}, ${toc.ids.length} objects ` +
        `(${toc.kinds["TABLE DATA"] ?? 0} tables with data), verified: every block read back with ` +
        `pg_restore, in ${seconds(performance.now() - started)}`,
    );
  } finally {
    dispose();
    // After a failure or a stop (the rename moved it otherwise); pg_dump's group has exited by now.
    await Deno.remove(temp).catch(() => {});
  }
}

/** Everything checked before pg_dump starts: --out, the tools, the server's version, size and tables. */
async function preflight(settings: ConnectionSettings, options: SnapshotOptions) {
  if (!options.force && await exists(options.out)) {
    throw new UserError(
      `${options.out} already exists — pass --force to replace it, or choose another --out`,
    );
  }
  const dir = options.out.includes("/") ? options.out.replace(/\/[^/]*$/, "") || "/" : ".";
  const dirInfo = await Deno.stat(dir).catch(() => undefined);
  if (!dirInfo?.isDirectory) throw new UserError(`--out ${options.out}: the folder ${dir} does not exist`);

  const dump = await checkTool(options.pgDumpPath ?? "pg_dump", "pg_dump", "--pg-dump-path");
  const restore = await checkTool(
    options.pgRestorePath ?? siblingTool(options.pgDumpPath, "pg_restore"),
    "pg_restore",
    "--pg-restore-path",
  );

  const client = await openClient(settings);
  let row: { v: number; version: string; size: number; tables: number };
  try {
    row = (await client.query(
      `SELECT current_setting('server_version_num')::int AS v, current_setting('server_version') AS version,
              pg_database_size(current_database())::float8 AS size,
              (SELECT count(*)::int FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE c.relkind IN ('r', 'p', 'm')
                  AND n.nspname NOT IN ('pg_catalog', 'information_schema')
                  AND n.nspname NOT LIKE 'pg_toast%') AS tables`,
    )).rows[0];
  } finally {
    await client.end().catch(() => {});
  }
  const serverMajor = row.v >= 100000 ? Math.floor(row.v / 10000) : Math.floor(row.v / 100) / 100;
  if (serverMajor > dump.major) {
    throw new UserError(
      `the server runs PostgreSQL ${row.version} but ${dump.path} is version ${dump.version}, which ` +
        `cannot dump a newer server — pass --pg-dump-path to pg_dump ${serverMajor} or newer`,
    );
  }
  console.log(
    `snapshot ${describeTarget(settings)} (${decimalBytes(row.size)} on disk, ${row.tables} tables) with ` +
      `${dump.path} ${dump.version}`,
  );
  return { dump, restore, tables: row.tables };
}

/** pg_dump -F c into `temp` with a progress bar; returns its exit code (its last lines shown on failure). */
async function runDump(
  settings: ConnectionSettings,
  dump: ToolInfo,
  temp: string,
  tables: number,
  stopper: Stopper,
): Promise<number> {
  const args = ["-F", "c", "--no-owner", "--no-privileges", "--verbose", "-f", temp];
  const child = stopper.spawn(
    dump.path,
    [...args, "-d", conninfoDbname(settings.database)],
    childEnv(settings),
  );
  const bar = new ToolProgress();
  const errors = new Tail(15);
  let dumped = 0;
  let current = "";
  let written = 0;
  let finished = false;
  // pg_dump names a table when it starts on it: the tables before it are done.
  const draw = (force = false) =>
    bar.update(
      `dumping table ${dumped}/${tables}, ${decimalBytes(written)} written`,
      tables ? (finished ? 1 : Math.max(0, dumped - 1) / tables) : undefined,
      current,
      force,
    );
  const timer = setInterval(async () => {
    written = (await Deno.stat(temp).catch(() => undefined))?.size ?? written;
    draw();
  }, 500);
  try {
    await forEachLine(child.stderr, (line) => {
      const table = /^pg_dump: dumping contents of table "?(.*?)"?$/.exec(line);
      if (table) {
        dumped++;
        current = table[1];
      } else if (!/^pg_dump: (?!error|warning|detail|hint|fatal)/.test(line)) {
        errors.push(line);
      }
      draw();
    });
    const status = await stopper.wait(child);
    written = (await Deno.stat(temp).catch(() => undefined))?.size ?? written;
    finished = status.success;
    draw(true);
    bar.done();
    if (!status.success && !stopper.signal && errors.lines.length) {
      console.error(`pg_dump exited with ${status.code}; its last lines:\n${indent(errors.lines)}`);
    }
    return status.code;
  } finally {
    clearInterval(timer);
  }
}

/** The same proof `db restore` asks for: the TOC lists entries and every data block reads back. */
async function verifyDump(restore: ToolInfo, temp: string, stopper: Stopper, unchanged: string) {
  const list = await runTool(restore.path, ["--list", temp], {});
  const toc = parseTocList(list.stdout);
  if (list.code !== 0 || toc.ids.length === 0) {
    const reason = list.stderr.trim().split("\n").at(-1) ?? "no entries";
    throw new UserError(`the new dump does not verify with pg_restore --list (${reason}) — ${unchanged}`);
  }
  const readers = Math.min(4, navigator.hardwareConcurrency || 1);
  const unreadable = await readWholeArchive(restore.path, temp, toc, stopper, readers);
  stopper.throwIfStopped(unchanged);
  if (unreadable !== undefined) {
    throw new UserError(`the new dump does not read back in full (${unreadable}) — ${unchanged}`);
  }
  return toc;
}
