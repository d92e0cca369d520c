/**
 * Benchmark of the database commands on the local PostgreSQL (its own database, dropped at the end):
 *   - a generated Moodle-shaped database whose custom-format dump is ~200 MB,
 *   - `moodle-load db restore --mode clean|drop --jobs 4` vs the bare equivalent (`pg_restore -j 4
 *     --clean …`; `dropdb`, `createdb`, `pg_restore -j 4`) of the same dump, alternating, printed as
 *     ratios of medians. The headline is the whole command without ANALYZE (bare pg_restore does none):
 *     clean mode's full archive read-back check, ending sessions and the restore; drop mode's staging
 *     copy and swap (goal ≤ 1.10). A bare `pg_restore -f /dev/null` is timed beside clean's check step.
 *   - `moodle-load users --count 10000` wall time.
 * Usage: deno run --allow-all scripts/bench_pg.ts [--rows 3100000] [--rounds 4]
 */
import pg from "pg";
import { parseArgs } from "node:util";
import { cliCommand } from "../tests/helpers/cli.ts";
import { createMoodleSchema } from "../tests/helpers/moodle_db.ts";
import { localServer } from "../tests/helpers/postgres.ts";
import { decimalBytes } from "../src/output/format.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: { rows: { type: "string", default: "3100000" }, rounds: { type: "string", default: "4" } },
});
const rows = Number(values.rows);
const rounds = Number(values.rounds);
const server = localServer();
const name = `moodle_load_bench_${crypto.randomUUID().replaceAll("-", "").slice(0, 10)}`;
const url = `postgres://${server.user}@${server.host}:${server.port}/${name}`;
const dir = await Deno.makeTempDir({ prefix: "moodle-load-bench-pg-" });
const dump = `${dir}/bench.dump`;

async function admin(sql: string): Promise<void> {
  const client = new pg.Client({ ...server, database: "postgres" });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** VACUUM (ANALYZE) the bench database, untimed. */
async function vacuum(): Promise<void> {
  const client = new pg.Client({ ...server, database: name });
  await client.connect();
  try {
    await client.query("VACUUM (ANALYZE)");
  } finally {
    await client.end();
  }
}

async function timed(label: string, command: Deno.Command): Promise<{ ms: number; stdout: string }> {
  const started = performance.now();
  const output = await command.output();
  const ms = performance.now() - started;
  const stdout = new TextDecoder().decode(output.stdout);
  if (!output.success) {
    throw new Error(
      `${label} failed (${output.code}):\n${stdout}\n${new TextDecoder().decode(output.stderr)}`,
    );
  }
  return { ms, stdout };
}

const cli = (args: string[]) => cliCommand(args, { env: { PGHOST: server.host, PGUSER: server.user } });
const median = (xs: number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = sorted.length / 2;
  return sorted.length % 2 ? sorted[Math.floor(mid)] : (sorted[mid - 1] + sorted[mid]) / 2;
};
const s = (ms: number) => `${(ms / 1000).toFixed(2)}s`;

try {
  console.log(`bench_pg: database ${name}, ${rows} log rows, ${rounds} round(s), temp dir ${dir}`);
  await admin(`CREATE DATABASE ${name}`);
  const client = new pg.Client({ ...server, database: name });
  await client.connect();
  const started = performance.now();
  await createMoodleSchema(client, { users: 10_000 });
  // Moodle's largest table on a busy site: the standard log store.
  await client.query(`
    CREATE TABLE mdl_logstore_standard_log (
      id BIGSERIAL PRIMARY KEY, eventname VARCHAR(255) NOT NULL DEFAULT '', component VARCHAR(100) NOT NULL DEFAULT '',
      action VARCHAR(100) NOT NULL DEFAULT '', target VARCHAR(100) NOT NULL DEFAULT '', objecttable VARCHAR(50),
      objectid BIGINT, crud VARCHAR(1) NOT NULL DEFAULT '', edulevel SMALLINT NOT NULL, contextid BIGINT NOT NULL,
      contextlevel BIGINT NOT NULL, contextinstanceid BIGINT NOT NULL, userid BIGINT NOT NULL, courseid BIGINT,
      relateduserid BIGINT, anonymous SMALLINT NOT NULL DEFAULT 0, other TEXT, timecreated BIGINT NOT NULL,
      origin VARCHAR(10), ip VARCHAR(45), realuserid BIGINT);
    INSERT INTO mdl_logstore_standard_log (eventname, component, action, target, objecttable, objectid, crud,
        edulevel, contextid, contextlevel, contextinstanceid, userid, courseid, other, timecreated, origin, ip)
      SELECT '\\core\\event\\course_viewed', 'core', 'viewed', 'course', NULL, NULL, 'r', 2, 1000 + i % 5000, 50,
             i % 300, 2 + i % 10000, i % 300, md5(i::text) || md5((i * 7)::text), 1700000000 + i, 'web',
             '10.0.' || (i % 250) || '.' || (i % 200)
        FROM generate_series(1, ${rows}) AS i;
    CREATE INDEX mdl_logsstanlog_tim_ix ON mdl_logstore_standard_log (timecreated);
    CREATE INDEX mdl_logsstanlog_useconconcru_ix ON mdl_logstore_standard_log (userid, contextlevel, contextinstanceid, crud, edulevel, timecreated);
    CREATE INDEX mdl_logsstanlog_conconcru_ix ON mdl_logstore_standard_log (courseid, anonymous, timecreated);`);
  const size = (await client.query(`SELECT pg_database_size(current_database())::float8 AS n`)).rows[0].n;
  await client.end();
  console.log(`generated ${decimalBytes(size)} in ${s(performance.now() - started)}`);

  const snap = await timed("snapshot", cli(["db", "snapshot", "--db-url", url, "--out", dump]));
  const dumpSize = (await Deno.stat(dump)).size;
  console.log(`db snapshot: ${s(snap.ms)} → ${decimalBytes(dumpSize)}`);

  for (const mode of ["clean", "drop"] as const) await compareRestore(mode);
  const fullRead: number[] = [];
  for (let round = 1; round <= rounds; round++) {
    fullRead.push(
      (await timed(
        "pg_restore -f /dev/null",
        new Deno.Command("pg_restore", { args: ["-f", "/dev/null", dump] }),
      ))
        .ms,
    );
  }
  console.log(`bare pg_restore -f /dev/null (one reader): ${s(median(fullRead))} median of ${rounds}`);

  const users = await timed(
    "users",
    cli([
      "users",
      "--db-url",
      url,
      "--count",
      "10000",
      "--password",
      "Bench-Pw-1",
      "--config",
      `${dir}/c.json`,
    ]),
  );
  console.log(`users --count 10000: ${s(users.ms)} wall (process start included)`);
} finally {
  await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch((error) =>
    console.error(`could not drop ${name}: ${error.message}`)
  );
  await Deno.remove(dir, { recursive: true }).catch(() => {});
}

/**
 * `db restore --mode MODE --jobs 4` against the bare equivalent, alternating, `rounds` times each:
 * clean → `pg_restore -j 4 --clean --if-exists`; drop → `dropdb --force`, `createdb`, `pg_restore -j 4`.
 */
async function compareRestore(mode: "clean" | "drop"): Promise<void> {
  const cliTimes: number[] = [];
  const cliRestoreStep: number[] = [];
  const cliAnalyze: number[] = [];
  const cliCheck: number[] = [];
  const bareTimes: number[] = [];
  // Same starting point for both: nothing left for autovacuum to do (a restore leaves a big table that
  // autovacuum would otherwise vacuum during the next timed run), and the order alternates per round.
  const quiesce = vacuum;
  const runOurs = async () => {
    await quiesce();
    const ours = await timed(
      "db restore",
      cli(["db", "restore", "--db-url", url, "--dump", dump, "--mode", mode, "--jobs", "4"]),
    );
    cliTimes.push(ours.ms);
    const step = (label: string) => {
      const match = new RegExp(`^${label}\\s+([\\d.]+)(ms|s)`, "m").exec(ours.stdout);
      return match ? Number(match[1]) * (match[2] === "s" ? 1000 : 1) : NaN;
    };
    cliRestoreStep.push(step("restore"));
    cliAnalyze.push(step("analyze"));
    cliCheck.push(step("check"));
  };
  const restoreArgs = ["--no-owner", "--no-privileges", "-j", "4", "-d", name, dump];
  const bareScript = mode === "clean"
    ? `pg_restore --clean --if-exists ${restoreArgs.join(" ")}`
    : `dropdb --force ${name} && createdb ${name} && pg_restore ${restoreArgs.join(" ")}`;
  const runBare = async () => {
    await quiesce();
    const bare = await timed(
      "bare restore",
      new Deno.Command("sh", {
        args: ["-c", bareScript],
        env: { PGHOST: server.host, PGPORT: String(server.port), PGUSER: server.user },
        stdout: "piped",
        stderr: "piped",
      }),
    );
    bareTimes.push(bare.ms);
  };
  for (let round = 1; round <= rounds; round++) {
    if (round % 2) {
      await runOurs();
      await runBare();
    } else {
      await runBare();
      await runOurs();
    }
    console.log(
      `${mode} round ${round}: moodle-load db restore ${s(cliTimes.at(-1)!)} (check ${
        s(cliCheck.at(-1)!)
      }, ` +
        `restore step ${s(cliRestoreStep.at(-1)!)}, analyze ${s(cliAnalyze.at(-1)!)}); ` +
        `bare (${bareScript.replace(dump, "DUMP")}) ${s(bareTimes.at(-1)!)}`,
    );
  }
  const bare = median(bareTimes);
  const withoutAnalyze = cliTimes.map((ms, i) => ms - (cliAnalyze[i] ?? 0));
  console.log(
    `--mode ${mode} restore ratio (median of ${rounds}): whole command without ANALYZE ` +
      `${(median(withoutAnalyze) / bare).toFixed(3)} (goal ≤ 1.10); restore step alone ` +
      `${(median(cliRestoreStep) / bare).toFixed(3)}; whole command with ANALYZE ` +
      `${(median(cliTimes) / bare).toFixed(3)}; check step ${s(median(cliCheck))}`,
  );
}
