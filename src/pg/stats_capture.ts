/**
 * `moodle-load pg-stats`: every interval, one query of pg_stat_database + pg_stat_activity (+ pg_locks)
 * for the target database → a live table and `pg_<db>_<ts>_<tag>.csv`, flushed row by row.
 * A lost connection writes a gap row and reconnects; a stop signal closes the file and exits
 * 130 / 143 / 129 (src/capture/session.ts).
 */
import { CaptureSession, checkCaptureWindow } from "../capture/session.ts";
import type pg from "pg";
import type { CsvAppender } from "../output/csv.ts";
import { UserError } from "../errors.ts";
import { formatDuration } from "../output/format.ts";
import { LiveBlock } from "../output/live.ts";
import { renderTable } from "../output/table.ts";
import { abortableSleep } from "../util/sleep.ts";
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
  checkCaptureWindow(options, 0, "more than 0 seconds");
  const source = await connectSource(options);
  const session = await CaptureSession.open({ ...options, name: "pg-stats" }).catch(async (error) => {
    await source.client.end().catch(() => {});
    throw error;
  });
  try {
    const csv = await session.createCsv(`pg_${source.database}`, PG_CSV_HEADER);
    if (options.duration > 0) session.stopAfter(options.duration * 1000);
    session.say(
      `pg-stats: ${source.target} every ${options.interval}s` +
        (source.ownCommits
          ? " (read from the target itself: its tuple counts include pg-stats' own query)"
          : "") +
        `${options.duration > 0 ? ` for ${options.duration}s` : " until stopped (Ctrl-C)"} → ${csv.path}`,
    );
    const rows = await sampleLoop(options, source, csv, session);
    session.finish(`${rows} rows in ${csv.path}`);
  } finally {
    session.close();
  }
}

interface PgSource {
  target: string;
  database: string;
  /** Commits of pg-stats' own query counted in the target's (1 when read from the target itself). */
  ownCommits: number;
  connect(): Promise<pg.Client>;
  client: pg.Client;
  first: PgSnapshot;
}

/** Connect, choose where to read from, and take the first snapshot (the baseline). */
async function connectSource(options: PgStatsOptions): Promise<PgSource> {
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
  const connect = () => openClient(settings, via);
  const client = await connect();
  try {
    const first = await sample(client, database);
    return { target, database, ownCommits: via === database ? 1 : 0, connect, client, first };
  } catch (error) {
    await client.end().catch(() => {});
    throw new UserError(
      `cannot read pg_stat_database/pg_stat_activity as ${target}: ${(error as Error).message}`,
    );
  }
}

/** One row per interval, paced by intended times; a lost connection is a gap row, then a reconnect. */
async function sampleLoop(
  options: PgStatsOptions,
  source: PgSource,
  csv: CsvAppender,
  session: CaptureSession,
): Promise<number> {
  const live = options.quiet ? { update: () => {}, commit: () => {} } : new LiveBlock();
  let client: pg.Client | undefined = source.client;
  let previous = source.first;
  let rows = 0;
  let gapOpen = false;
  const intervalMs = options.interval * 1000;
  const start = performance.now();
  try {
    for (let tick = 1; !session.signal.aborted; tick++) {
      // Paced by intended times, so slow queries do not stretch the series.
      await abortableSleep(start + tick * intervalMs - performance.now(), session.signal);
      if (session.signal.aborted) break;
      try {
        client ??= await source.connect();
        const current = await sample(client, source.database);
        if (gapOpen) {
          previous = current; // a new baseline after the gap
          gapOpen = false;
          continue;
        }
        const row = pgStatsRow(previous, current, source.ownCommits);
        previous = current;
        await csv.write(pgCsvValues(row));
        rows++;
        live.update(pgLiveTable(source.database, row));
      } catch (error) {
        if (error instanceof Deno.errors.NotCapable) throw error;
        if (!gapOpen) {
          await csv.write(pgGapValues(Date.now()));
          const reason = error instanceof UserError ? error.message : (error as Error).message;
          live.update(`pg-stats: lost ${source.target} (${reason}); retrying every ${options.interval}s`);
          live.commit();
          gapOpen = true;
        }
        await client?.end().catch(() => {});
        client = undefined;
      }
    }
  } finally {
    await client?.end().catch(() => {});
  }
  return rows;
}
