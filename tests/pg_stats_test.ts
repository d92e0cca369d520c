/** pg-stats: the interval arithmetic by hand, then the real CLI against a throwaway database. */
import assert from "node:assert/strict";
import pg from "pg";
import { PG_CSV_HEADER, type PgSnapshot, pgStatsRow } from "../src/pg/stats_math.ts";
import { cliCommand, runCli } from "./helpers/cli.ts";
import { localServer, postgresAvailability, withThrowawayDatabase } from "./helpers/postgres.ts";
import { requireService } from "./helpers/services.ts";

const snapshot = (overrides: Partial<PgSnapshot>): PgSnapshot => ({
  timeMs: 0,
  xactCommit: 0,
  xactRollback: 0,
  blksRead: 0,
  blksHit: 0,
  tupReturned: 0,
  tupFetched: 0,
  tupInserted: 0,
  tupUpdated: 0,
  tupDeleted: 0,
  tempBytes: 0,
  deadlocks: 0,
  active: 0,
  idle: 0,
  idleInTransaction: 0,
  idleInTransactionAborted: 0,
  otherState: 0,
  notVisible: 0,
  waitingOnLocks: 0,
  longestQueryS: null,
  longestTransactionS: null,
  ...overrides,
});

Deno.test("pg-stats interval arithmetic: rates per second, hit ratio over the interval, resets read 0", () => {
  const before = snapshot({
    timeMs: 10_000,
    xactCommit: 1_000,
    xactRollback: 10,
    blksRead: 100,
    blksHit: 900,
  });
  const after = snapshot({
    timeMs: 14_000, // 4 s later
    xactCommit: 1_201, // 201 − 1 (pg-stats' own) = 200 → 50/s
    xactRollback: 18, // 8 → 2/s
    blksRead: 150, // 50 reads
    blksHit: 1_350, // 450 hits → 450 / 500 = 90 %
    tupInserted: 40, // 10/s
    tempBytes: 8192,
    deadlocks: 1,
    active: 3,
    waitingOnLocks: 2,
    longestQueryS: 1.5,
  });
  const row = pgStatsRow(before, after, 1);
  assert.equal(row.commitsPerS, 50);
  assert.equal(row.rollbacksPerS, 2);
  assert.equal(row.cacheHitPct, 90);
  assert.equal(row.tupInsertedPerS, 10);
  assert.equal(row.tempBytes, 8192);
  assert.equal(row.deadlocks, 1);
  assert.equal(row.active, 3);
  assert.equal(row.waitingOnLocks, 2);
  assert.equal(row.longestQueryS, 1.5);
  assert.equal(pgStatsRow(before, after, 0).commitsPerS, 50.25); // read from elsewhere: nothing to discount
  // No block touched: no ratio (not 0 %, not 100 %). Counters reset (pg_stat_reset): 0, not negative.
  const reset = pgStatsRow(after, snapshot({ timeMs: 15_000, xactCommit: 3 }), 1);
  assert.equal(reset.cacheHitPct, null);
  assert.equal(reset.commitsPerS, 0);
  assert.equal(reset.tupInsertedPerS, 0);
});

const availability = await postgresAvailability();
const pgTest = (name: string, fn: () => Promise<void>) =>
  Deno.test({
    name,
    ...requireService("PostgreSQL", availability),
    sanitizeResources: false,
    sanitizeOps: false,
    fn,
  });

interface Csv {
  header: string[];
  rows: Record<string, string>[];
}

async function readCsv(dir: string): Promise<Csv> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(dir)) if (entry.name.endsWith(".csv")) names.push(entry.name);
  assert.equal(names.length, 1, names.join(" "));
  assert.match(names[0], /^pg_moodle_load_test_[0-9a-f]+_\d{8}T\d{6}Z(?:-\d+)?_t\.csv$/);
  const [header, ...lines] = (await Deno.readTextFile(`${dir}/${names[0]}`)).trim().split("\n").map((l) =>
    l.split(",")
  );
  return { header, rows: lines.map((l) => Object.fromEntries(header.map((h, i) => [h, l[i]]))) };
}

/** Make this session's pending statistics visible now (PG ≥ 15 flushes them lazily). */
/** `pg-stats` sampling every second into `outdir` with tag t, for `duration` s (default: until Ctrl-C). */
function pgStatsArgs(url: string, outdir: string, duration?: string): string[] {
  return [
    "pg-stats",
    "--db-url",
    url,
    "--interval",
    "1",
    ...(duration === undefined ? [] : ["--duration", duration]),
    "--outdir",
    outdir,
    "--tag",
    "t",
  ];
}

async function flushStats(client: pg.Client): Promise<void> {
  await client.query("SELECT pg_stat_force_next_flush()").catch(() => {});
  await client.query("SELECT 1");
}

pgTest("pg-stats: a session waiting on another's lock is one waiting session", async () => {
  await withThrowawayDatabase(async (db) => {
    await db.client.query("CREATE TABLE t (id int PRIMARY KEY, v int); INSERT INTO t VALUES (1, 0)");
    await db.client.query("BEGIN");
    await db.client.query("UPDATE t SET v = 1 WHERE id = 1"); // holds the row lock, idle in transaction
    const waiter = new pg.Client({ ...localServer(), database: db.name });
    await waiter.connect();
    const blocked = waiter.query("UPDATE t SET v = 2 WHERE id = 1");
    try {
      const outdir = await Deno.makeTempDir({ prefix: "mlt-pgstats-" });
      const run = await runCli(pgStatsArgs(db.url, outdir, "3.5"));
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stdout, /waiting on locks\s+1/);
      const csv = await readCsv(outdir);
      assert.deepEqual(csv.header, [...PG_CSV_HEADER]);
      assert.ok(csv.rows.length >= 2, `${csv.rows.length} rows`);
      for (const row of csv.rows) {
        assert.equal(row.waiting_on_locks, "1");
        assert.equal(row.conns_idle_in_tx, "1");
        assert.equal(row.conns_active, "1"); // the waiter (pg-stats itself is not counted)
        assert.ok(Number(row.longest_xact_s) > 0);
        assert.ok(Number(row.longest_query_s) > 0);
        assert.equal(row.conns_not_visible, "0");
      }
      await Deno.remove(outdir, { recursive: true });
    } finally {
      await db.client.query("ROLLBACK");
      await blocked;
      await waiter.end();
    }
  });
});

pgTest("pg-stats: commit and tuple rates add up to the work done", async () => {
  await withThrowawayDatabase(async (db) => {
    await db.client.query("CREATE TABLE w (id int PRIMARY KEY, v int)");
    await flushStats(db.client);
    const outdir = await Deno.makeTempDir({ prefix: "mlt-pgstats-" });
    const child = cliCommand(pgStatsArgs(db.url, outdir, "9")).spawn();
    // Start the work once the first row is written, so all of it falls inside the rows' intervals.
    for (let i = 0; i < 100; i++) {
      await new Promise((r) => setTimeout(r, 100));
      const csv = await readCsv(outdir).catch(() => undefined);
      if (csv && csv.rows.length >= 1) break;
    }
    for (let i = 1; i <= 300; i++) await db.client.query("INSERT INTO w VALUES ($1, 0)", [i]);
    for (let i = 1; i <= 50; i++) await db.client.query("UPDATE w SET v = 1 WHERE id = $1", [i]);
    for (let i = 1; i <= 20; i++) await db.client.query("DELETE FROM w WHERE id = $1", [i]);
    for (let i = 0; i < 5; i++) {
      await db.client.query("BEGIN");
      await db.client.query("ROLLBACK");
    }
    await flushStats(db.client);
    const output = await child.output();
    assert.equal(output.code, 0, new TextDecoder().decode(output.stderr));
    const csv = await readCsv(outdir);
    const total = (column: string) => {
      let sum = 0;
      for (let i = 1; i < csv.rows.length; i++) {
        const seconds = (Number(csv.rows[i].epoch_ms) - Number(csv.rows[i - 1].epoch_ms)) / 1000;
        sum += Number(csv.rows[i][column]) * seconds;
      }
      return sum;
    };
    const near = (column: string, expected: number, slack = 0.5) => {
      const value = total(column);
      assert.ok(Math.abs(value - expected) <= slack, `${column}: ${value.toFixed(2)} ≠ ${expected}`);
    };
    near("tup_inserted_per_s", 300);
    near("tup_updated_per_s", 50);
    near("tup_deleted_per_s", 20);
    near("rollbacks_per_s", 5);
    // 370 autocommit statements + the 2 of flushStats (pg-stats reads from the maintenance database)
    near("commits_per_s", 372, 2.5);
    assert.ok(csv.rows.some((r) => r.cache_hit_pct !== "" && Number(r.cache_hit_pct) > 50));
    await Deno.remove(outdir, { recursive: true });
  });
});

pgTest("pg-stats as an unprivileged role: other roles' sessions are counted as not visible", async () => {
  const role = `moodle_load_test_ro_${crypto.randomUUID().replaceAll("-", "").slice(0, 8)}`;
  const admin = new pg.Client({ ...localServer(), database: "postgres" });
  await admin.connect();
  await admin.query(`CREATE ROLE ${role} LOGIN`);
  try {
    await withThrowawayDatabase(async (db) => {
      await db.client.query("CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t VALUES (1)");
      await db.client.query("BEGIN");
      await db.client.query("SELECT * FROM t FOR UPDATE");
      const waiter = new pg.Client({ ...localServer(), database: db.name });
      await waiter.connect();
      const blocked = waiter.query("SELECT * FROM t FOR UPDATE");
      try {
        const outdir = await Deno.makeTempDir({ prefix: "mlt-pgstats-" });
        const url = `postgres://${role}@${db.host}:${db.port}/${db.name}`;
        const run = await runCli(pgStatsArgs(url, outdir, "2.5"), { env: { PGPASSWORD: "" } });
        assert.equal(run.code, 0, run.stderr);
        assert.match(
          run.stdout,
          /not visible to this role\s+2 session\(s\) of other roles.*pg_read_all_stats/,
        );
        const csv = await readCsv(outdir);
        assert.ok(csv.rows.length >= 1);
        for (const row of csv.rows) {
          assert.equal(row.conns_not_visible, "2"); // the holder and the waiter belong to postgres
          assert.equal(row.conns_idle_in_tx, "0"); // hidden, not claimed
          assert.equal(row.longest_xact_s, ""); // unknown, not 0
          assert.equal(row.waiting_on_locks, "1"); // pg_locks is readable by every role
        }
        await Deno.remove(outdir, { recursive: true });
      } finally {
        await db.client.query("ROLLBACK");
        await blocked;
        await waiter.end();
      }
    });
  } finally {
    await admin.query(`DROP ROLE IF EXISTS ${role}`);
    await admin.end();
  }
});

pgTest(
  "pg-stats: a lost connection is one gap row, then rows again; SIGTERM (a CI timeout) closes the file, exit 143",
  async () => {
    await withThrowawayDatabase(async (db) => {
      const outdir = await Deno.makeTempDir({ prefix: "mlt-pgstats-" });
      // Other pg-stats processes on this server (another test run) are not ours to kill.
      const before = await db.client.query(
        `SELECT coalesce(array_agg(pid), '{}') AS pids FROM pg_stat_activity WHERE application_name = 'moodle-load'`,
      );
      const child = cliCommand(
        pgStatsArgs(db.url, outdir),
      ).spawn();
      await new Promise((r) => setTimeout(r, 3500));
      // Only pg-stats' own session: it is the one running the snapshot query (now_epoch_s).
      const killed = await db.client.query(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
        WHERE application_name = 'moodle-load' AND query LIKE '%now_epoch_s%' AND pid <> pg_backend_pid()
          AND NOT pid = ANY($1::int[])`,
        [before.rows[0].pids],
      );
      assert.equal(killed.rowCount, 1);
      await new Promise((r) => setTimeout(r, 4500));
      child.kill("SIGTERM");
      const output = await child.output();
      assert.equal(output.code, 143);
      assert.match(
        new TextDecoder().decode(output.stderr),
        /^moodle-load: interrupted by SIGTERM — flushed and closed \d+ rows in /,
      );
      const csv = await readCsv(outdir);
      const gaps = csv.rows.map((r, i) => (r.conns_active === "" ? i : -1)).filter((i) => i >= 0);
      assert.equal(gaps.length, 1, JSON.stringify(csv.rows));
      assert.ok(
        gaps[0] >= 1 && csv.rows.length - gaps[0] - 1 >= 1,
        `rows around the gap: ${csv.rows.length}`,
      );
      await Deno.remove(outdir, { recursive: true });
    });
  },
);

Deno.test("pg-stats: an unreachable server is one line naming user, host and port", async () => {
  const run = await runCli([
    "pg-stats",
    "--db-url",
    "postgres://nobody@127.0.0.1:1/none",
    "--duration",
    "1",
    "--interval",
    "1",
  ]);
  assert.equal(run.code, 1);
  assert.equal(run.stderr.trim().split("\n").length, 1, run.stderr);
  assert.match(run.stderr, /^moodle-load: cannot connect to PostgreSQL as nobody@127\.0\.0\.1:1\//);
});

Deno.test("pg-stats: a --duration shorter than --interval (no sample at all) is a usage error", async () => {
  const run = await runCli(["pg-stats", "--db-url", "postgres://nobody@127.0.0.1:1/none", "--duration", "1"]);
  assert.equal(run.code, 2, run.stderr);
  assert.match(run.stderr.trim(), /^moodle-load: --duration 1s is shorter than --interval 5s: no sample/);
});
