/**
 * `db restore` as the database's owner (not a superuser) while autovacuum works on the database, on a
 * throwaway cluster started for the test (autovacuum every second, and so slow that a worker stays).
 */
import assert from "node:assert/strict";
import pg from "pg";
import { runCli } from "./helpers/cli.ts";
import { clusterAvailability, startThrowawayCluster, type ThrowawayCluster } from "./helpers/pg_cluster.ts";
import { requireService } from "./helpers/services.ts";
import { waitFor } from "./helpers/processes.ts";

const clusterReady = requireService("a throwaway PostgreSQL cluster (initdb, pg_ctl)", clusterAvailability());

const AUTOVACUUM_ALWAYS = {
  autovacuum_naptime: "1",
  autovacuum_vacuum_threshold: "0",
  autovacuum_vacuum_scale_factor: "0",
  autovacuum_analyze_threshold: "0",
  autovacuum_analyze_scale_factor: "0",
  // One page per 100 ms: a worker on the big table stays for minutes.
  autovacuum_vacuum_cost_limit: "1",
  autovacuum_vacuum_cost_delay: "100",
};

async function connect(cluster: ThrowawayCluster, user: string, database: string): Promise<pg.Client> {
  const client = new pg.Client({ host: cluster.host, port: cluster.port, user, database });
  client.on("error", () => {}); // restores end these sessions
  await client.connect();
  return client;
}

/** Dead rows in every table, so autovacuum picks the database (again) within a second or two. */
async function autovacuumAtWork(cluster: ThrowawayCluster, su: pg.Client): Promise<void> {
  const owner = await connect(cluster, "owner", "target");
  try {
    await owner.query(
      `UPDATE mdl_log SET other = other || 'x' WHERE id % 2 = 0; UPDATE mdl_user SET n = n + 1`,
    );
  } finally {
    await owner.end();
  }
  await waitFor("an autovacuum worker on target", async () => {
    const rows = (await su.query(
      `SELECT 1 FROM pg_stat_activity WHERE datname = 'target' AND backend_type = 'autovacuum worker'`,
    )).rows;
    return rows.length > 0;
  }, 60_000);
}

async function fingerprint(cluster: ThrowawayCluster): Promise<string> {
  const client = await connect(cluster, "owner", "target");
  try {
    const row = (await client.query(
      `SELECT (SELECT count(*) FROM mdl_log) AS logs, (SELECT md5(string_agg(u::text, '|' ORDER BY id)) FROM mdl_user u) AS users,
              (SELECT count(*) FROM pg_indexes WHERE schemaname = 'public') AS indexes`,
    )).rows[0];
    return JSON.stringify(row);
  } finally {
    await client.end();
  }
}

Deno.test({
  name: "db restore as the owner (not a superuser) with autovacuum at work: clean and drop succeed",
  ...clusterReady,
  fn: async (t) => {
    const cluster = await startThrowawayCluster(AUTOVACUUM_ALWAYS);
    const dir = await Deno.makeTempDir({ prefix: "moodle-load-owner-" });
    const su = await connect(cluster, "postgres", "postgres");
    try {
      await su.query(`CREATE ROLE owner LOGIN CREATEDB`);
      await su.query(`CREATE DATABASE target OWNER owner`);
      const owner = await connect(cluster, "owner", "target");
      await owner.query(`
        CREATE TABLE mdl_user (id BIGSERIAL PRIMARY KEY, n INT NOT NULL DEFAULT 0, name TEXT);
        INSERT INTO mdl_user (name) SELECT 'user' || i FROM generate_series(1, 500) i;
        CREATE TABLE mdl_log (id BIGSERIAL PRIMARY KEY, other TEXT);
        INSERT INTO mdl_log (other) SELECT md5(i::text) FROM generate_series(1, 200000) i;`);
      await owner.end();
      const url = `postgres://owner@${cluster.host}:${cluster.port}/target`;
      const dump = `${dir}/base.dump`;
      const snap = await runCli(["db", "snapshot", "--db-url", url, "--out", dump]);
      assert.equal(snap.code, 0, snap.stderr);
      const original = await fingerprint(cluster);

      for (const mode of ["clean", "drop"]) {
        await t.step(`--mode ${mode}`, async () => {
          await autovacuumAtWork(cluster, su);
          const result = await runCli(["db", "restore", "--db-url", url, "--dump", dump, "--mode", mode]);
          assert.equal(result.code, 0, `${mode}: ${result.stderr}`);
          assert.equal(
            result.stderr,
            "",
            `${mode}: nothing to warn about (autovacuum is not a client session)`,
          );
          assert.equal(await fingerprint(cluster), original, mode);
        });
      }

      // A superuser's client session the owner may not end: named in a warning, the restore still runs.
      await t.step("a superuser's session: clean warns and runs, drop refuses", async () => {
        const held = await connect(cluster, "postgres", "target");
        const heldPid = (await held.query(`SELECT pg_backend_pid() AS pid`)).rows[0].pid;
        const clean = await runCli(["db", "restore", "--db-url", url, "--dump", dump, "--mode", "clean"]);
        assert.equal(clean.code, 0, clean.stderr);
        assert.match(
          clean.stderr,
          new RegExp(`warning: may not end 1 session\\(s\\) .*pid ${heldPid} \\(postgres\\)`),
        );
        const drop = await runCli(["db", "restore", "--db-url", url, "--dump", dump, "--mode", "drop"]);
        assert.equal(drop.code, 1);
        assert.match(
          drop.stderr.trim(),
          new RegExp(`cannot drop target: owner may not end 1 session.*pid ${heldPid}.*not changed\\)$`),
        );
        await held.end().catch(() => {});
        assert.equal(await fingerprint(cluster), original, "the refused drop left the database as it was");
      });
    } finally {
      await su.end().catch(() => {});
      await cluster.stop();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
