/**
 * `db restore` / `db snapshot` safety, end to end through the CLI on throwaway databases:
 * a damaged dump is refused before anything is touched, and a stop signal leaves no child process,
 * no partial file, and a last line saying what state the database is in.
 */
import assert from "node:assert/strict";
import pg from "pg";
import { runCli } from "./helpers/cli.ts";
import { postgresAvailability, type ThrowawayDatabase, withThrowawayDatabase } from "./helpers/postgres.ts";
import { requireService } from "./helpers/services.ts";
import { createMoodleSchema } from "./helpers/moodle_db.ts";
import { processesMatching, waitFor, watchCli } from "./helpers/processes.ts";
import { STOP_SIGNAL_EXIT_CODE, type StopSignal } from "../src/util/stop_signals.ts";

const pgReady = requireService("PostgreSQL", await postgresAvailability());

/** Every table's row count and md5 over its rows, and the database's index count. */
async function fingerprint(db: ThrowawayDatabase): Promise<string> {
  const client = new pg.Client({ host: db.host, port: db.port, user: db.user, database: db.name });
  await client.connect();
  try {
    const tables = (await client.query(
      `SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1`,
    )).rows.map((row) => row.tablename as string);
    const parts = [];
    for (const table of tables) {
      const row = (await client.query(
        `SELECT count(*) AS n, md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) AS sum
           FROM ${table} t`,
      )).rows[0];
      parts.push(`${table}:${row.n}:${row.sum}`);
    }
    const indexes = (await client.query(`SELECT count(*) AS n FROM pg_indexes WHERE schemaname = 'public'`))
      .rows[0].n;
    return `${parts.join(",")};indexes=${indexes}`;
  } finally {
    await client.end();
  }
}

/** Moodle-shaped tables plus a log table of `rows` rows (its data is most of the dump). */
async function seed(db: ThrowawayDatabase, rows: number): Promise<void> {
  db.client.on("error", () => {}); // the restores terminate it
  await createMoodleSchema(db.client, { users: 200 });
  await db.client.query(`
    CREATE TABLE mdl_logstore_standard_log (id BIGSERIAL PRIMARY KEY, userid BIGINT NOT NULL,
      other TEXT, timecreated BIGINT NOT NULL);
    INSERT INTO mdl_logstore_standard_log (userid, other, timecreated)
      SELECT i % 200, md5(i::text) || md5((i * 7)::text), 1700000000 + i FROM generate_series(1, ${rows}) i;
    CREATE INDEX mdl_logsstanlog_tim_ix ON mdl_logstore_standard_log (timecreated);`);
}

async function withDump(db: ThrowawayDatabase, body: (dir: string, dump: string) => Promise<void>) {
  const dir = await Deno.makeTempDir({ prefix: "moodle-load-safety-" });
  try {
    const dump = `${dir}/base.dump`;
    const snap = await runCli(["db", "snapshot", "--db-url", db.url, "--out", dump]);
    assert.equal(snap.code, 0, snap.stderr);
    await body(dir, dump);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test({
  name:
    "db restore: a truncated or corrupted dump is refused before the database is touched (clean and drop)",
  ...pgReady,
  fn: () =>
    withThrowawayDatabase(async (db) => {
      await seed(db, 60_000);
      await withDump(db, async (dir, dump) => {
        await db.client.query(`UPDATE mdl_user SET firstname = 'changed'`);
        const before = await fingerprint(db);
        const bytes = await Deno.readFile(dump);
        const corrupted = bytes.slice();
        corrupted.fill(0x5a, Math.floor(bytes.length * 0.6), Math.floor(bytes.length * 0.6) + 64);
        const damaged: Record<string, Uint8Array> = {
          "half": bytes.subarray(0, Math.floor(bytes.length / 2)),
          "last-4k-missing": bytes.subarray(0, bytes.length - 4096),
          "corrupted": corrupted,
        };
        for (const [label, content] of Object.entries(damaged)) {
          const file = `${dir}/${label}.dump`;
          await Deno.writeFile(file, content);
          for (const mode of ["clean", "drop"]) {
            const result = await runCli([
              "db",
              "restore",
              "--db-url",
              db.url,
              "--dump",
              file,
              "--mode",
              mode,
            ]);
            assert.equal(result.code, 1, `${label} ${mode}: ${result.stderr}`);
            const lines = result.stderr.trim().split("\n");
            if (mode === "clean") {
              // The whole archive is read back before --clean may drop anything.
              assert.equal(lines.length, 1, result.stderr);
              assert.match(lines[0], /incomplete or damaged.* — the database was not touched$/, label);
              assert.ok(!/^restore /m.test(result.stdout), `${label} ${mode}: no restore step started`);
            } else {
              // Drop mode restores into a staging copy: pg_restore's failure there leaves the target alone.
              assert.match(
                lines.at(-1)!,
                /pg_restore failed .* was not touched \(the staging copy is removed\)$/,
              );
              assert.deepEqual(await stagingLeft(db), [], `${label}: the staging copy is removed`);
            }
            assert.equal(await fingerprint(db), before, `${label} ${mode} left the database as it was`);
          }
        }
      });
    }),
});

Deno.test({
  name: "db snapshot: a dump that does not read back in full is not renamed into place",
  ...pgReady,
  fn: () =>
    withThrowawayDatabase(async (db) => {
      await seed(db, 60_000);
      const dir = await Deno.makeTempDir({ prefix: "moodle-load-safety-" });
      try {
        // A pg_dump that writes a dump and then loses its last 4 KB (a full disk, a bad copy).
        const real = new TextDecoder().decode(
          (await new Deno.Command("sh", { args: ["-c", "command -v pg_dump"], stdout: "piped" }).output())
            .stdout,
        ).trim();
        const lossy = `${dir}/bin/pg_dump`;
        await Deno.mkdir(`${dir}/bin`);
        await Deno.writeTextFile(
          lossy,
          `#!/bin/sh\n"${real}" "$@" || exit $?\ncase "$1" in --version) exit 0;; esac\n` +
            `for a; do [ "$prev" = "-f" ] && out="$a"; prev="$a"; done\n` +
            `truncate -s -4096 "$out"\n`,
        );
        await Deno.chmod(lossy, 0o755);
        const restorePath = real.replace(/pg_dump$/, "pg_restore");
        const out = `${dir}/snap.dump`;
        const result = await runCli([
          "db",
          "snapshot",
          "--db-url",
          db.url,
          "--out",
          out,
          "--pg-dump-path",
          lossy,
          "--pg-restore-path",
          restorePath,
        ]);
        assert.equal(result.code, 1, result.stdout + result.stderr);
        assert.match(
          result.stderr.trim().split("\n").at(-1)!,
          /does not read back in full.*snap\.dump unchanged/,
        );
        const left = [...Deno.readDirSync(dir)].map((e) => e.name).sort();
        assert.deepEqual(left, ["bin"], "neither the dump nor a .partial file is left");
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    }),
});

/** Staging databases (drop mode's restore target) left behind for `db`. */
async function stagingLeft(db: ThrowawayDatabase): Promise<string[]> {
  const client = new pg.Client({ host: db.host, port: db.port, user: db.user, database: "postgres" });
  await client.connect();
  try {
    const rows = (await client.query(
      `SELECT datname FROM pg_database WHERE datname LIKE $1`,
      [`${db.name.slice(0, 20)}%_moodle_load_staging`],
    )).rows as { datname: string }[];
    return rows.map((r) => r.datname);
  } finally {
    await client.end();
  }
}

/**
 * Waits until pg_restore is loading table data into `db` or drop mode's staging copy of it (a COPY
 * from application moodle-load).
 */
async function copyRunning(db: ThrowawayDatabase): Promise<boolean> {
  const client = new pg.Client({ host: db.host, port: db.port, user: db.user, database: "postgres" });
  await client.connect();
  try {
    const rows = (await client.query(
      `SELECT 1 FROM pg_stat_activity WHERE (datname = $1 OR datname LIKE $1 || '%_moodle_load_staging')
          AND application_name = 'moodle-load' AND state = 'active' AND query LIKE 'COPY %'`,
      [db.name],
    )).rows;
    return rows.length > 0;
  } finally {
    await client.end();
  }
}

async function restoreSessionsLeft(db: ThrowawayDatabase): Promise<number> {
  const client = new pg.Client({ host: db.host, port: db.port, user: db.user, database: "postgres" });
  await client.connect();
  try {
    return (await client.query(
      `SELECT count(*)::int AS n FROM pg_stat_activity
         WHERE (datname = $1 OR datname LIKE $1 || '%_moodle_load_staging') AND application_name = 'moodle-load'`,
      [db.name],
    )).rows[0].n;
  } finally {
    await client.end();
  }
}

Deno.test({
  name:
    "db restore/snapshot: a stop signal ends pg_restore/pg_dump with us, removes the .partial, names the state",
  ...pgReady,
  fn: (t) =>
    withThrowawayDatabase(async (db) => {
      await seed(db, 700_000);
      await withDump(db, async (dir, dump) => {
        const complete = await fingerprint(db);
        for (const mode of ["clean", "drop"]) {
          await t.step(`restore --mode ${mode}, SIGTERM while pg_restore copies data`, async () => {
            const before = await fingerprint(db);
            const cli = watchCli(["db", "restore", "--db-url", db.url, "--dump", dump, "--mode", mode]);
            await waitFor("pg_restore's COPY", () => copyRunning(db));
            cli.child.kill("SIGTERM");
            const result = await cli.done;
            assert.equal(result.code, 143, result.stderr);
            assert.deepEqual(processesMatching(dump), [], "no pg_restore outlives the command");
            const last = result.stderr.trim().split("\n").at(-1)!;
            assert.match(
              last,
              mode === "drop"
                ? /^moodle-load: stopped by SIGTERM — pg_restore was ended — .* was not touched \(the staging copy is removed\)$/
                : /^moodle-load: stopped by SIGTERM — pg_restore was ended — .* may now be partly restored: re-run the restore/,
            );
            if (mode === "drop") {
              assert.deepEqual(await stagingLeft(db), [], "the staging copy is removed");
              assert.equal(
                await fingerprint(db),
                before,
                "a stopped drop-mode restore left the target alone",
              );
            }
            await waitFor(
              "the restore's sessions to end",
              async () => await restoreSessionsLeft(db) === 0,
              10_000,
            );
          });
        }
        const again = await runCli(["db", "restore", "--db-url", db.url, "--dump", dump, "--mode", "drop"]);
        assert.equal(again.code, 0, again.stderr);
        assert.equal(await fingerprint(db), complete, "a re-run restores it completely");

        for (const signal of ["SIGTERM", "SIGHUP", "SIGINT"] as StopSignal[]) {
          await t.step(`snapshot, ${signal} while pg_dump writes`, async () => {
            const out = `${dir}/stopped.dump`;
            const cli = watchCli(["db", "snapshot", "--db-url", db.url, "--out", out]);
            const partial = () => [...Deno.readDirSync(dir)].filter((e) => e.name.endsWith(".partial"));
            await waitFor("a growing .partial file", () => {
              const file = partial()[0];
              return file !== undefined && Deno.statSync(`${dir}/${file.name}`).size > 0;
            });
            cli.child.kill(signal);
            const result = await cli.done;
            assert.equal(result.code, STOP_SIGNAL_EXIT_CODE[signal], result.stderr);
            assert.deepEqual(partial(), [], "no .partial file left");
            assert.deepEqual(processesMatching(".partial"), [], "no pg_dump outlives the command");
            assert.match(
              result.stderr.trim().split("\n").at(-1)!,
              new RegExp(
                `^moodle-load: stopped by ${signal}.* — no snapshot written \\(.*stopped\\.dump unchanged\\)$`,
              ),
            );
            assert.ok(!(await Deno.stat(out).then(() => true, () => false)), "no dump written");
          });
        }
      });
    }),
});
