/**
 * `moodle-load pg-stats`: every interval, one query of pg_stat_database + pg_stat_activity (+ pg_locks)
 * for the target database → a live table and `pg_<db>_<ts>_<tag>.csv`, flushed row by row.
 * A lost connection writes a gap row and reconnects; Ctrl-C closes the file and exits 130.
 */
import { checkCaptureDuration } from "../util/capture_window.ts";
import type pg from "pg";
import { CsvAppender } from "../output/csv.ts";
import { EXIT, UserError } from "../errors.ts";
import { formatDuration } from "../output/format.ts";
import { LiveBlock } from "../output/live.ts";
import { renderTable } from "../output/table.ts";
import { abortableSleep } from "../util/sleep.ts";
import { csvFileName, fileStamp } from "../results/stamp.ts";
import { describeTarget, openClient, resolveConnectionFromCli } from "./connection.ts";
import type { ConnectionOptionValues } from "./connection_options.ts";
import {
  PG_CSV_HEADER,
  pgCsvValues,
  pgGapValues,
  type PgSnapshot,
  type PgStatsRow,
  pgStatsRow,
  SNAPSHOT_SQL,
  snapshotFromRow,
} from "./stats_math.ts";

export interface PgStatsOptions extends ConnectionOptionValues {
  config?: string;
  interval: number;
  duration: number;
  outdir: string;
  tag?: string;
  /** Stop when this aborts (bench stops the capture after the load). */
  signal?: AbortSignal;
  /** No live table or status lines (bench prints its own). */
  quiet?: boolean;
}

/** Where the statistics are read from when the role may connect there. */
const MAINTENANCE_DB = "postgres";

const fixed = (value: number | null, digits = 1) => (value === null ? "-" : value.toFixed(digits));

/** The live table: one line per interval would scroll; show the latest interval as label/value pairs. */
export function pgLiveTable(database: string, row: PgStatsRow): string {
  const seconds = (value: number | null) => (value === null ? "-" : formatDuration(value));
  const rows: (string | number)[][] = [
    [
      "connections",
      `${row.active} active, ${row.idle} idle, ${row.idleInTransaction} idle in transaction` +
      (row.idleInTransactionAborted ? `, ${row.idleInTransactionAborted} aborted` : "") +
      (row.otherState ? `, ${row.otherState} other` : ""),
    ],
    ["waiting on locks", row.waitingOnLocks],
    ["longest query / transaction", `${seconds(row.longestQueryS)} / ${seconds(row.longestTransactionS)}`],
    ["commits / rollbacks per s", `${fixed(row.commitsPerS)} / ${fixed(row.rollbacksPerS)}`],
    ["cache hit", row.cacheHitPct === null ? "- (no block reads)" : `${row.cacheHitPct.toFixed(2)}%`],
    [
      "tuples per s (ret/fetch/ins/upd/del)",
      [row.tupReturnedPerS, row.tupFetchedPerS, row.tupInsertedPerS, row.tupUpdatedPerS, row.tupDeletedPerS]
        .map((v) => v.toFixed(0)).join(" / "),
    ],
    ["temp bytes / deadlocks (interval)", `${row.tempBytes} / ${row.deadlocks}`],
  ];
  if (row.notVisible > 0) {
    rows.push([
      "not visible to this role",
      `${row.notVisible} session(s) of other roles: their state and ages are hidden (grant pg_read_all_stats)`,
    ]);
  }
  return `${database} at ${new Date(row.timeMs).toISOString()}\n` +
    renderTable(["pg-stats", "last interval"], rows, { align: ["left", "left"] });
}

async function sample(client: pg.Client, database: string): Promise<PgSnapshot> {
  const result = await client.query(SNAPSHOT_SQL, [database]);
  if (!result.rows.length) throw new Error("the target database is not in pg_stat_database");
  return snapshotFromRow(result.rows[0]);
}

export async function pgStats(options: PgStatsOptions): Promise<void> {
  if (!(options.interval > 0)) throw new UserError("--interval must be more than 0 seconds", EXIT.usage);
  checkCaptureDuration(options.duration, options.interval);
  const settings = await resolveConnectionFromCli(options);
  const target = describeTarget(settings);
  const database = settings.database;
  // Read the statistics from the maintenance database when allowed: then pg-stats' own query is not
  // counted in the target's commits and tuples. Otherwise from the target, discounting its commit.
  let via = database;
  if (database !== MAINTENANCE_DB) {
    try {
      await (await openClient(settings, MAINTENANCE_DB)).end();
      via = MAINTENANCE_DB;
    } catch { /* e.g. no CONNECT on it: read from the target itself */ }
  }
  const ownCommits = via === database ? 1 : 0;
  const connect = () => openClient(settings, via);
  let client: pg.Client | undefined = await connect();
  let previous: PgSnapshot;
  try {
    previous = await sample(client, database);
  } catch (error) {
    await client.end().catch(() => {});
    throw new UserError(
      `cannot read pg_stat_database/pg_stat_activity as ${target}: ${(error as Error).message}`,
    );
  }

  try {
    await Deno.mkdir(options.outdir, { recursive: true });
  } catch (error) {
    await client.end().catch(() => {});
    throw new UserError(`cannot create --outdir ${options.outdir}: ${(error as Error).message}`);
  }
  const path = `${options.outdir}/${
    csvFileName(`pg_${settings.database}`, fileStamp(new Date()), options.tag)
  }`;
  const csv = await CsvAppender.create(path, PG_CSV_HEADER);

  const controller = new AbortController();
  options.signal?.addEventListener("abort", () => controller.abort(), { once: true });
  if (options.signal?.aborted) controller.abort();
  let interrupted = false;
  const onSigint = () => {
    interrupted = true;
    controller.abort();
  };
  Deno.addSignalListener("SIGINT", onSigint);
  const timer = options.duration > 0
    ? setTimeout(() => controller.abort(), options.duration * 1000)
    : undefined;
  const live = options.quiet ? { update: () => {}, commit: () => {} } : new LiveBlock();
  const say = options.quiet ? () => {} : (line: string) => console.log(line);
  say(
    `pg-stats: ${target} every ${options.interval}s` +
      (via === database
        ? " (read from the target itself: its tuple counts include pg-stats' own query)"
        : "") +
      `${options.duration > 0 ? ` for ${options.duration}s` : " until Ctrl-C"} → ${path}`,
  );

  let rows = 0;
  let gapOpen = false;
  const intervalMs = options.interval * 1000;
  const start = performance.now();
  try {
    for (let tick = 1; !controller.signal.aborted; tick++) {
      // Paced by intended times, so slow queries do not stretch the series.
      await abortableSleep(start + tick * intervalMs - performance.now(), controller.signal);
      if (controller.signal.aborted) break;
      try {
        client ??= await connect();
        const current = await sample(client, database);
        if (gapOpen) {
          previous = current; // a new baseline after the gap
          gapOpen = false;
          continue;
        }
        const row = pgStatsRow(previous, current, ownCommits);
        previous = current;
        await csv.write(pgCsvValues(row));
        rows++;
        live.update(pgLiveTable(settings.database, row));
      } catch (error) {
        if (error instanceof Deno.errors.NotCapable) throw error;
        if (!gapOpen) {
          await csv.write(pgGapValues(Date.now()));
          const reason = error instanceof UserError ? error.message : (error as Error).message;
          live.update(`pg-stats: lost ${target} (${reason}); retrying every ${options.interval}s`);
          live.commit();
          gapOpen = true;
        }
        await client?.end().catch(() => {});
        client = undefined;
      }
    }
  } finally {
    clearTimeout(timer);
    Deno.removeSignalListener("SIGINT", onSigint);
    csv.close();
    await client?.end().catch(() => {});
  }
  if (interrupted) {
    throw new UserError(`interrupted — flushed and closed ${rows} rows in ${path}`, EXIT.interrupted);
  }
  say(`pg-stats: ${rows} rows in ${path}`);
}
