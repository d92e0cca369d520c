/** `db snapshot` / `db restore` end to end against a real PostgreSQL, on throwaway databases only. */
import assert from "node:assert/strict";
import pg from "pg";
import { hasMagic, majorOf, parseArchiveHeader, parseTocList, RestoreProgress } from "../src/pg/archive.ts";
import { conninfoDbname, parseJobs, parseMode } from "../src/pg/restore.ts";
import { stagingName } from "../src/pg/drop_mode.ts";
import { runCli } from "./helpers/cli.ts";
import {
  dropThrowawayDatabase,
  localServer,
  postgresAvailability,
  type ThrowawayDatabase,
  withThrowawayDatabase,
} from "./helpers/postgres.ts";
import { requireService } from "./helpers/services.ts";
import { createMoodleSchema } from "./helpers/moodle_db.ts";

const pgReady = requireService("PostgreSQL", await postgresAvailability());
const TABLES = ["mdl_config", "mdl_user", "mdl_user_preferences", "mdl_extra"];

/** Row count and an md5 over every row, per table, plus the sequences' positions. */
async function fingerprint(db: { client: pg.Client }): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const table of TABLES) {
    const row = (await db.client.query(
      `SELECT count(*)::int AS n, md5(coalesce(string_agg(t::text, '|' ORDER BY t.id), '')) AS sum FROM ${table} t`,
    )).rows[0];
    out[table] = `${row.n}:${row.sum}`;
  }
  out.seq = (await db.client.query(`SELECT last_value::text AS v FROM mdl_user_id_seq`)).rows[0].v;
  return out;
}

async function seed(db: ThrowawayDatabase): Promise<void> {
  db.client.on("error", () => {}); // the restores terminate it
  await createMoodleSchema(db.client, { users: 300 });
  await db.client.query(`
    CREATE TABLE mdl_extra (id BIGSERIAL PRIMARY KEY, userid BIGINT REFERENCES mdl_user (id), payload TEXT);
    INSERT INTO mdl_extra (userid, payload) SELECT id, md5(id::text) FROM mdl_user;
    INSERT INTO mdl_user_preferences (userid, name, value) SELECT id, 'theme', 'boost' FROM mdl_user;
    CREATE VIEW mdl_v AS SELECT username FROM mdl_user;`);
}

async function mutate(db: { client: pg.Client }): Promise<void> {
  await db.client.query(`
    UPDATE mdl_user SET firstname = 'changed' WHERE id % 3 = 0;
    DELETE FROM mdl_extra WHERE id % 5 = 0;
    DELETE FROM mdl_user_preferences WHERE id % 2 = 0;
    INSERT INTO mdl_user (username, mnethostid) VALUES ('new_user', 1);
    INSERT INTO mdl_config (name, value) VALUES ('added', 'x');`);
}

/** A client on the database that holds a lock the restore needs (an open transaction). */
async function holdSession(db: ThrowawayDatabase): Promise<{ client: pg.Client; ended: Promise<string> }> {
  const client = new pg.Client({ host: db.host, port: db.port, user: db.user, database: db.name });
  await client.connect();
  const ended = new Promise<string>((resolve) => {
    client.on("error", (error) => resolve(String((error as { code?: string }).code ?? error.message)));
    client.on("end", () => resolve("end"));
  });
  await client.query("BEGIN");
  await client.query("SELECT count(*) FROM mdl_user"); // ACCESS SHARE until the transaction ends
  return { client, ended };
}

async function reconnect(db: ThrowawayDatabase): Promise<void> {
  await db.client.end().catch(() => {});
  db.client = new pg.Client({ host: db.host, port: db.port, user: db.user, database: db.name });
  db.client.on("error", () => {});
  await db.client.connect();
}

/** A temporary directory with `base.dump`, a snapshot of `db` taken with the CLI; removed afterwards. */
async function withBaseDump(
  db: ThrowawayDatabase,
  body: (dir: string, dump: string) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "moodle-load-db-" });
  try {
    const dump = `${dir}/base.dump`;
    assert.equal((await runCli(["db", "snapshot", "--db-url", db.url, "--out", dump])).code, 0);
    await body(dir, dump);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("archive: header, TOC list and verbose progress parsing", () => {
  const header = new Uint8Array([
    ...new TextEncoder().encode("PGDMP"),
    1,
    14,
    0,
    4,
    8,
    1,
    1,
    1,
    0,
    0,
    0,
    ...Array(35).fill(0),
    0,
    2,
    0,
    0,
    0,
    ...new TextEncoder().encode("db"),
    0,
    5,
    0,
    0,
    0,
    ...new TextEncoder().encode("15.20"),
    0,
    5,
    0,
    0,
    0,
    ...new TextEncoder().encode("16.1 "),
  ]);
  assert.deepEqual(parseArchiveHeader(header), {
    formatVersion: "1.14",
    database: "db",
    serverVersion: "15.20",
    dumpedBy: "16.1 ",
  });
  assert.ok(!hasMagic(new TextEncoder().encode("-- SQL")));
  assert.throws(() => parseArchiveHeader(header.subarray(0, 30)), /truncated/);
  assert.equal(majorOf("15.20 (Debian 15.20-0+deb12u1)"), 15);
  assert.equal(majorOf("9.6.24"), 9.6);
  const toc = parseTocList(
    `;\n;     Dumped by pg_dump version: 15.20\n;\n215; 1259 16389 TABLE public a postgres\n` +
      `3356; 0 16389 TABLE DATA public a postgres\n3211; 2606 16403 FK CONSTRAINT public b b_id_fkey postgres\n`,
  );
  assert.deepEqual(toc, {
    ids: [215, 3356, 3211],
    kinds: { TABLE: 1, "TABLE DATA": 1, "FK CONSTRAINT": 1 },
    dataIds: [3356],
    dumpedBy: "15.20",
  });
  const progress = new RestoreProgress([215, 3356, 3211]);
  assert.ok(progress.line("pg_restore: dropping TABLE a"));
  assert.equal(progress.phase, "dropping");
  assert.ok(progress.line(`pg_restore: creating TABLE "public.a"`));
  assert.ok(progress.line("pg_restore: finished item 3356 TABLE DATA a"));
  assert.ok(progress.line("pg_restore: processing item 3363 DATABASE x")); // not in the list: not counted
  assert.equal(progress.done, 1);
  assert.ok(!progress.line("pg_restore: error: could not execute query: ERROR:  boom"));
  assert.ok(!progress.line("some other text"));
  assert.equal(conninfoDbname("a'b\\c"), "dbname='a\\'b\\\\c'");
  assert.throws(() => parseMode("wipe"), /--mode/);
  assert.throws(() => parseJobs("0"), /--jobs/);
  assert.equal(parseJobs("4"), 4);
});

Deno.test({
  name:
    "db: snapshot → change → restore (clean, -j 1 and -j 4; drop) equals the snapshot; held sessions are ended",
  ...pgReady,
  fn: () =>
    withThrowawayDatabase(async (db) => {
      await seed(db);
      const original = await fingerprint(db);
      const dir = await Deno.makeTempDir({ prefix: "moodle-load-db-" });
      const dump = `${dir}/base.dump`;
      try {
        const snap = await runCli(["db", "snapshot", "--db-url", db.url, "--out", dump]);
        assert.equal(snap.code, 0, snap.stderr);
        assert.match(snap.stdout, /wrote .*base\.dump: [\d.]+\s?[kM]?B, \d+ objects/);
        assert.ok(hasMagic(await Deno.readFile(dump)));
        assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["base.dump"], "no temp file left");

        const again = await runCli(["db", "snapshot", "--db-url", db.url, "--out", dump]);
        assert.equal(again.code, 1);
        assert.match(again.stderr, /already exists — pass --force/);
        const forced = await runCli(["db", "snapshot", "--db-url", db.url, "--out", dump, "--force"]);
        assert.equal(forced.code, 0, forced.stderr);

        for (const jobs of ["1", "4"]) {
          await mutate(db);
          assert.notDeepEqual(await fingerprint(db), original);
          const held = await holdSession(db);
          const started = Date.now();
          const restore = await runCli(
            ["db", "restore", "--db-url", db.url, "--dump", dump, "--mode", "clean", "--jobs", jobs],
          );
          assert.equal(restore.code, 0, restore.stderr + restore.stdout);
          assert.ok(Date.now() - started < 120_000);
          assert.match(restore.stdout, /ended [1-9]\d* other session/);
          assert.match(restore.stdout, /restoring \d+\/\d+ entries/);
          assert.match(restore.stdout, /^analyze /m);
          assert.equal(await held.ended, "57P01", "the held session was terminated");
          await held.client.end().catch(() => {});
          await reconnect(db);
          assert.deepEqual(await fingerprint(db), original, `clean restore with --jobs ${jobs}`);
        }

        await mutate(db);
        await db.client.query("CREATE TABLE mdl_stray (id int)");
        const held = await holdSession(db);
        const drop = await runCli(
          [
            "db",
            "restore",
            "--db-url",
            db.url,
            "--dump",
            dump,
            "--mode",
            "drop",
            "--jobs",
            "4",
            "--skip-analyze",
          ],
        );
        assert.equal(drop.code, 0, drop.stderr + drop.stdout);
        assert.match(drop.stdout, /dropped \S+, renamed the restored copy \S+_moodle_load_staging to /);
        assert.ok(!/^analyze /m.test(drop.stdout));
        assert.equal(await held.ended, "57P01");
        await held.client.end().catch(() => {});
        await reconnect(db);
        assert.deepEqual(await fingerprint(db), original, "drop restore");
        const stray = await db.client.query(`SELECT to_regclass('mdl_stray') IS NULL AS gone`);
        assert.equal(stray.rows[0].gone, true, "drop mode leaves nothing from before");
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    }),
});

Deno.test({
  name: "db restore: bad input is refused before the database is touched, in one line",
  ...pgReady,
  fn: () =>
    withThrowawayDatabase(async (db) => {
      await seed(db);
      await withBaseDump(db, async (dir, dump) => {
        await mutate(db);
        const before = await fingerprint(db);
        const sql = `${dir}/plain.sql`;
        await Deno.writeTextFile(sql, "-- PostgreSQL database dump\nDROP TABLE mdl_user;\n");
        const garbage = `${dir}/garbage.dump`;
        await Deno.writeFile(
          garbage,
          new Uint8Array([...new TextEncoder().encode("PGDMP"), 1, 14, 0, 4, 8, 1, 7]),
        );
        const truncated = `${dir}/truncated.dump`;
        await Deno.writeFile(truncated, (await Deno.readFile(dump)).subarray(0, 900));
        const oldTool = `${dir}/pg_restore`;
        await Deno.writeTextFile(oldTool, `#!/bin/sh\necho "pg_restore (PostgreSQL) 9.6.24"\n`);
        await Deno.chmod(oldTool, 0o755);
        const cases: [string[], RegExp][] = [
          [["--dump", sql], /is not a pg_dump custom-format archive .*not touched/],
          [["--dump", garbage], /not touched/],
          [["--dump", truncated], /cannot read .*truncated\.dump.*not touched/],
          [["--dump", `${dir}/missing.dump`], /--dump .*missing\.dump: no such file/],
          [
            ["--dump", dump, "--pg-restore-path", `${dir}/nope/pg_restore`],
            /pg_restore at .*nope\/pg_restore: not found/,
          ],
          [
            ["--dump", dump, "--pg-restore-path", oldTool],
            /made by pg_dump 15.*version 9\.6\.24.*--pg-restore-path/,
          ],
          [
            ["--dump", dump, "--mode", "drop", "--maintenance-db", db.name],
            /refusing to drop .*maintenance database/,
          ],
          [["--dump", dump, "--mode", "sideways"], /--mode: "sideways"/],
          [["--dump", dump, "--jobs", "x"], /--jobs: "x"/],
        ];
        for (const [args, pattern] of cases) {
          const result = await runCli(["db", "restore", "--db-url", db.url, ...args]);
          assert.notEqual(result.code, 0, args.join(" "));
          const lines = result.stderr.trim().split("\n");
          assert.equal(lines.length, 1, result.stderr);
          assert.match(lines[0], /^moodle-load: /);
          assert.match(lines[0], pattern);
          assert.deepEqual(await fingerprint(db), before, `${args.join(" ")} left the database as it was`);
        }
        const snapshotTool = await runCli(
          ["db", "snapshot", "--db-url", db.url, "--out", `${dir}/x.dump`, "--pg-dump-path", `${dir}/nope`],
        );
        assert.equal(snapshotTool.code, 1);
        assert.match(snapshotTool.stderr, /pg_dump at .*nope: not found/);
        const refused = await runCli([
          "db",
          "restore",
          "--db-url",
          `postgres://nobody@127.0.0.1:9/x`,
          "--dump",
          dump,
        ]);
        assert.equal(refused.code, 1);
        assert.match(refused.stderr, /nobody@127\.0\.0\.1:9\/x: connection refused/);
      });
    }),
});

Deno.test({
  name:
    "db restore: a pg_restore failure shows its last lines; clean says re-run, drop (staged) leaves the target untouched",
  ...pgReady,
  fn: () =>
    withThrowawayDatabase(async (db) => {
      await seed(db);
      await withBaseDump(db, async (dir, dump) => {
        // A pg_restore that answers --version, --list and the full read (-f /dev/null) like the real one
        // but fails the restore itself.
        const real = new TextDecoder().decode(
          (await new Deno.Command("sh", { args: ["-c", "command -v pg_restore"], stdout: "piped" }).output())
            .stdout,
        ).trim();
        const failing = `${dir}/pg_restore`;
        await Deno.writeTextFile(
          failing,
          `#!/bin/sh\ncase "$1" in --version|--list|-f) exec "${real}" "$@";; esac\n` +
            `echo "pg_restore: connecting to database for restore" >&2\n` +
            `echo "pg_restore: error: could not execute query: ERROR:  disk full (simulated)" >&2\nexit 1\n`,
        );
        await Deno.chmod(failing, 0o755);
        const before = await fingerprint(db);
        for (const mode of ["clean", "drop"]) {
          const result = await runCli(
            [
              "db",
              "restore",
              "--db-url",
              db.url,
              "--dump",
              dump,
              "--mode",
              mode,
              "--pg-restore-path",
              failing,
            ],
          );
          assert.equal(result.code, 1);
          assert.match(result.stderr, /disk full \(simulated\)/);
          const last = result.stderr.trim().split("\n").at(-1)!;
          assert.match(
            last,
            mode === "drop" ? /was not touched \(the staging copy is removed\)$/ : /partly restored.*re-run/,
          );
          if (mode === "drop") {
            await reconnect(db); // clean mode ended this test's session
            assert.deepEqual(await fingerprint(db), before, "drop mode left the target alone");
          }
        }
        const fixed = await runCli(["db", "restore", "--db-url", db.url, "--dump", dump, "--mode", "drop"]);
        assert.equal(fixed.code, 0, fixed.stderr);
      });
    }),
});

Deno.test({
  name: "db restore --mode drop keeps the database's encoding, locale provider and ICU locale",
  ...pgReady,
  fn: async () => {
    const server = localServer();
    const name = `moodle_load_test_${crypto.randomUUID().replaceAll("-", "").slice(0, 12)}`;
    const admin = new pg.Client({ ...server, database: "postgres" });
    await admin.connect();
    const shape =
      `SELECT pg_encoding_to_char(encoding) AS e, datcollate AS c, to_jsonb(d) ->> 'datlocprovider' AS p,
                          to_jsonb(d) ->> 'daticulocale' AS i FROM pg_database d WHERE datname = $1`;
    try {
      const icu = await admin.query(
        `CREATE DATABASE ${name} TEMPLATE template0 ENCODING 'UTF8' LOCALE_PROVIDER icu ICU_LOCALE 'en-US'`,
      ).then(() => true, () => false);
      if (!icu) await admin.query(`CREATE DATABASE ${name} TEMPLATE template0 ENCODING 'UTF8'`);
      const before = (await admin.query(shape, [name])).rows[0];
      const db: ThrowawayDatabase = {
        ...server,
        name,
        url: `postgres://${server.user}@${server.host}:${server.port}/${name}`,
        client: new pg.Client({ ...server, database: name }),
      };
      await db.client.connect();
      const dir = await Deno.makeTempDir({ prefix: "moodle-load-db-" });
      try {
        await seed(db);
        const original = await fingerprint(db);
        const dump = `${dir}/base.dump`;
        assert.equal((await runCli(["db", "snapshot", "--db-url", db.url, "--out", dump])).code, 0);
        const drop = await runCli(["db", "restore", "--db-url", db.url, "--dump", dump, "--mode", "drop"]);
        assert.equal(drop.code, 0, drop.stderr);
        assert.deepEqual((await admin.query(shape, [name])).rows[0], before);
        await reconnect(db);
        assert.deepEqual(await fingerprint(db), original);
      } finally {
        await Deno.remove(dir, { recursive: true });
        await dropThrowawayDatabase(db);
      }
    } finally {
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => {});
      await admin.end();
    }
  },
});

Deno.test({
  name:
    "db restore --mode drop: a leftover staging copy is removed; a foreign database of that name is refused",
  ...pgReady,
  fn: () =>
    withThrowawayDatabase(async (db) => {
      await seed(db);
      await withBaseDump(db, async (_dir, dump) => {
        await mutate(db);
        const before = await fingerprint(db);
        const staging = stagingName(db.name);
        const admin = new pg.Client({ ...localServer(), database: "postgres" });
        await admin.connect();
        try {
          await admin.query(`CREATE DATABASE ${staging}`);
          const refused = await runCli([
            "db",
            "restore",
            "--db-url",
            db.url,
            "--dump",
            dump,
            "--mode",
            "drop",
          ]);
          assert.equal(refused.code, 1, refused.stderr);
          assert.match(
            refused.stderr.trim(),
            /a database named \S+ exists and is not a moodle-load staging copy/,
          );
          assert.deepEqual(await fingerprint(db), before, "the refused restore left the target as it was");

          // What a restore killed with SIGKILL leaves behind: our marked staging copy.
          await admin.query(
            `COMMENT ON DATABASE ${staging} IS 'moodle-load db restore staging copy for ${db.name}'`,
          );
          const restored = await runCli([
            "db",
            "restore",
            "--db-url",
            db.url,
            "--dump",
            dump,
            "--mode",
            "drop",
          ]);
          assert.equal(restored.code, 0, restored.stderr);
          const left = await admin.query(`SELECT 1 FROM pg_database WHERE datname = $1`, [staging]);
          assert.equal(left.rowCount, 0, "the leftover staging copy is gone");
          await reconnect(db);
          assert.notDeepEqual(await fingerprint(db), before, "the target was restored");
        } finally {
          await admin.query(`DROP DATABASE IF EXISTS ${staging} WITH (FORCE)`).catch(() => {});
          await admin.end();
        }
      });
    }),
});

Deno.test("stagingName fits PostgreSQL's 63-byte names, cutting whole characters", () => {
  assert.equal(stagingName("moodle"), "moodle_moodle_load_staging");
  for (const target of ["m".repeat(63), "é".repeat(40)]) {
    const name = stagingName(target);
    assert.ok(new TextEncoder().encode(name).length <= 63, name);
    assert.ok(name.endsWith("_moodle_load_staging"));
    assert.ok(
      target.startsWith(name.slice(0, -"_moodle_load_staging".length)),
      "a prefix of whole characters",
    );
  }
});
