/**
 * pg-stats numbers (pure): one snapshot of `pg_stat_database` + `pg_stat_activity` per interval,
 * and the row two snapshots make — connections by state, lock waits, longest query/transaction,
 * per-second rates of the cumulative counters, cache hit ratio over the interval.
 */

/** The sessions at the moment of a sample: a snapshot's, and so its row's (they are not rates). */
export interface PgActivity {
  active: number;
  idle: number;
  idleInTransaction: number;
  idleInTransactionAborted: number;
  /** Other states (fastpath function call, disabled). */
  otherState: number;
  /** Sessions of other roles whose state this role may not see (no pg_read_all_stats). */
  notVisible: number;
  /** Sessions waiting on a heavyweight lock (from pg_locks, which every role can read). */
  waitingOnLocks: number;
  /** Seconds; null when no visible session is running a query / in a transaction. */
  longestQueryS: number | null;
  longestTransactionS: number | null;
}

/** One sample, as the query in stats_query.ts returns it (bigints already converted to numbers). */
export interface PgSnapshot extends PgActivity {
  /** Server clock (clock_timestamp) in ms since the epoch when the sample was read. */
  timeMs: number;
  xactCommit: number;
  xactRollback: number;
  blksRead: number;
  blksHit: number;
  tupReturned: number;
  tupFetched: number;
  tupInserted: number;
  tupUpdated: number;
  tupDeleted: number;
  tempBytes: number;
  deadlocks: number;
}

export interface PgStatsRow extends PgActivity {
  timeMs: number;
  commitsPerS: number;
  rollbacksPerS: number;
  /** Hits / (hits + reads) × 100 over the interval; null when no block was accessed. */
  cacheHitPct: number | null;
  tupReturnedPerS: number;
  tupFetchedPerS: number;
  tupInsertedPerS: number;
  tupUpdatedPerS: number;
  tupDeletedPerS: number;
  /** Bytes written to temporary files during the interval. */
  tempBytes: number;
  /** Deadlocks detected during the interval. */
  deadlocks: number;
}

/**
 * The row for the interval between two snapshots. `ownCommits` is how many transactions pg-stats
 * itself ran in the target database per sample (its one query): they are not the workload's.
 * A counter that went backwards (pg_stat_reset, server restart) reads as 0 for that interval.
 */
export function pgStatsRow(previous: PgSnapshot, current: PgSnapshot, ownCommits = 1): PgStatsRow {
  const seconds = (current.timeMs - previous.timeMs) / 1000;
  const delta = (key: keyof PgSnapshot) => Math.max(0, Number(current[key]) - Number(previous[key]));
  const rate = (value: number) => (seconds > 0 ? value / seconds : 0);
  const hits = delta("blksHit");
  const reads = delta("blksRead");
  return {
    timeMs: current.timeMs,
    active: current.active,
    idle: current.idle,
    idleInTransaction: current.idleInTransaction,
    idleInTransactionAborted: current.idleInTransactionAborted,
    otherState: current.otherState,
    notVisible: current.notVisible,
    waitingOnLocks: current.waitingOnLocks,
    longestQueryS: current.longestQueryS,
    longestTransactionS: current.longestTransactionS,
    commitsPerS: rate(Math.max(0, delta("xactCommit") - ownCommits)),
    rollbacksPerS: rate(delta("xactRollback")),
    cacheHitPct: hits + reads > 0 ? (hits / (hits + reads)) * 100 : null,
    tupReturnedPerS: rate(delta("tupReturned")),
    tupFetchedPerS: rate(delta("tupFetched")),
    tupInsertedPerS: rate(delta("tupInserted")),
    tupUpdatedPerS: rate(delta("tupUpdated")),
    tupDeletedPerS: rate(delta("tupDeleted")),
    tempBytes: delta("tempBytes"),
    deadlocks: delta("deadlocks"),
  };
}

export const PG_CSV_HEADER = [
  "epoch_ms",
  "iso_time",
  "conns_active",
  "conns_idle",
  "conns_idle_in_tx",
  "conns_idle_in_tx_aborted",
  "conns_other",
  "conns_not_visible",
  "waiting_on_locks",
  "longest_query_s",
  "longest_xact_s",
  "commits_per_s",
  "rollbacks_per_s",
  "cache_hit_pct",
  "tup_returned_per_s",
  "tup_fetched_per_s",
  "tup_inserted_per_s",
  "tup_updated_per_s",
  "tup_deleted_per_s",
  "temp_bytes",
  "deadlocks",
] as const;

const round = (value: number | null, digits = 3) => (value === null ? "" : Number(value.toFixed(digits)));

export function pgCsvValues(row: PgStatsRow): (string | number)[] {
  return [
    row.timeMs,
    new Date(row.timeMs).toISOString(),
    row.active,
    row.idle,
    row.idleInTransaction,
    row.idleInTransactionAborted,
    row.otherState,
    row.notVisible,
    row.waitingOnLocks,
    round(row.longestQueryS),
    round(row.longestTransactionS),
    round(row.commitsPerS),
    round(row.rollbacksPerS),
    round(row.cacheHitPct),
    round(row.tupReturnedPerS),
    round(row.tupFetchedPerS),
    round(row.tupInsertedPerS),
    round(row.tupUpdatedPerS),
    round(row.tupDeletedPerS),
    row.tempBytes,
    row.deadlocks,
  ];
}

/** A gap row (connection lost): the time, every number empty. */
export function pgGapValues(timeMs: number): (string | number)[] {
  return [timeMs, new Date(timeMs).toISOString(), ...PG_CSV_HEADER.slice(2).map(() => "")];
}

/** Row of the pg_stat_* query (int8 and numeric arrive as strings from npm:pg) → snapshot. */
export function snapshotFromRow(row: Record<string, unknown>): PgSnapshot {
  const n = (key: string) => Number(row[key] ?? 0);
  const maybe = (key: string) => (row[key] === null || row[key] === undefined ? null : Number(row[key]));
  return {
    timeMs: Math.round(n("now_epoch_s") * 1000),
    xactCommit: n("xact_commit"),
    xactRollback: n("xact_rollback"),
    blksRead: n("blks_read"),
    blksHit: n("blks_hit"),
    tupReturned: n("tup_returned"),
    tupFetched: n("tup_fetched"),
    tupInserted: n("tup_inserted"),
    tupUpdated: n("tup_updated"),
    tupDeleted: n("tup_deleted"),
    tempBytes: n("temp_bytes"),
    deadlocks: n("deadlocks"),
    active: n("active"),
    idle: n("idle"),
    idleInTransaction: n("idle_in_transaction"),
    idleInTransactionAborted: n("idle_in_transaction_aborted"),
    otherState: n("other_state"),
    notVisible: n("not_visible"),
    waitingOnLocks: n("waiting_on_locks"),
    longestQueryS: maybe("longest_query_s"),
    longestTransactionS: maybe("longest_xact_s"),
  };
}

/**
 * One statement, `$1` = the target database. pg-stats runs it from the maintenance database when it
 * can, so its own query adds nothing to the target's counters (its catalog reads would otherwise
 * show up as hundreds of tuples returned per sample). Sessions are the target database's client
 * backends other than pg-stats' own. pg_stat_activity
 * hides state, query and timestamps of other roles' sessions from a role without pg_read_all_stats:
 * those are counted as not visible. pg_locks is readable by every role, so lock waits are complete.
 */
export const SNAPSHOT_SQL = `
SELECT extract(epoch FROM clock_timestamp()) AS now_epoch_s,
       d.xact_commit, d.xact_rollback, d.blks_read, d.blks_hit,
       d.tup_returned, d.tup_fetched, d.tup_inserted, d.tup_updated, d.tup_deleted,
       d.temp_bytes, d.deadlocks,
       a.active, a.idle, a.idle_in_transaction, a.idle_in_transaction_aborted, a.other_state, a.not_visible,
       a.longest_query_s, a.longest_xact_s,
       (SELECT count(DISTINCT l.pid)
          FROM pg_locks l JOIN pg_stat_activity s ON s.pid = l.pid
         WHERE NOT l.granted AND s.datname = $1) AS waiting_on_locks
  FROM pg_stat_database d,
       LATERAL (
         SELECT count(*) FILTER (WHERE state = 'active') AS active,
                count(*) FILTER (WHERE state = 'idle') AS idle,
                count(*) FILTER (WHERE state = 'idle in transaction') AS idle_in_transaction,
                count(*) FILTER (WHERE state = 'idle in transaction (aborted)') AS idle_in_transaction_aborted,
                count(*) FILTER (WHERE state IS NOT NULL AND state NOT IN
                  ('active', 'idle', 'idle in transaction', 'idle in transaction (aborted)')) AS other_state,
                count(*) FILTER (WHERE state IS NULL) AS not_visible,
                max(extract(epoch FROM clock_timestamp() - query_start))
                  FILTER (WHERE state = 'active') AS longest_query_s,
                max(extract(epoch FROM clock_timestamp() - xact_start)) AS longest_xact_s
           FROM pg_stat_activity
          WHERE datname = $1 AND pid <> pg_backend_pid()
            -- other roles' sessions show a NULL backend_type (and state) to an unprivileged role
            AND (backend_type = 'client backend' OR (backend_type IS NULL AND usesysid IS NOT NULL))
       ) a
 WHERE d.datname = $1`;
