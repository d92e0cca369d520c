/** `moodle-load discover` end to end against a throwaway PostgreSQL database shaped like Moodle 4.3. */
import assert from "node:assert/strict";
import { runCli } from "./helpers/cli.ts";
import { postgresAvailability, type ThrowawayDatabase, withThrowawayDatabase } from "./helpers/postgres.ts";
import { requireService } from "./helpers/services.ts";
import { createCourseSite, createMoodleSchema } from "./helpers/moodle_db.ts";

const pgReady = requireService("PostgreSQL", await postgresAvailability());

const USERS = [1, 2, 3, 4].map((n) => ({ username: `tool_generator_00000${n}`, password: "pw" }));

async function withSite(
  prefix: string,
  fn: (db: ThrowawayDatabase, dir: string) => Promise<void>,
): Promise<void> {
  await withThrowawayDatabase(async (db) => {
    await createMoodleSchema(db.client, { prefix, version: 2023100900, users: 5 });
    await createCourseSite(db.client, prefix);
    const dir = await Deno.makeTempDir({ prefix: "discover_pg_" });
    try {
      await fn(db, dir);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}

function configText(): string {
  return JSON.stringify(
    {
      base_url: "http://127.0.0.1:9",
      users: USERS,
      parameters: { courseid: { from: "enrolled_courses" } },
      urls: [{ path: "/course/view.php?id={courseid}" }],
    },
    null,
    2,
  ) + "\n";
}

Deno.test({
  name: "discover: pools from a Moodle-shaped database, written into the config (mode and other keys kept)",
  ...pgReady,
  fn: () =>
    withSite("mdl_", async (db, dir) => {
      const file = `${dir}/site.json`;
      await Deno.writeTextFile(file, configText(), { mode: 0o640 });
      await Deno.chmod(file, 0o640);
      const before = await db.client.query("SELECT count(*)::int AS n, max(xmin::text) AS x FROM mdl_user");
      const result = await runCli(["discover", "--config", file, "--db-url", db.url]);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, /one READ ONLY transaction/);
      assert.match(result.stdout, /Moodle test \(2023100900\)/);
      assert.match(result.stdout, /Users: 4 in the config, 2 enrolled in at least one visible course/);
      assert.match(result.stdout, /^\s+2\s+c2\s+2\s+2\s+1\s+2\s+2\s+1$/m); // assign forum page, discussions, open
      assert.match(
        result.stdout,
        /warning: 2 user\(s\) enrolled in no visible course: tool_generator_000003, /,
      );
      assert.ok(!result.stdout.includes("pw"));
      const config = JSON.parse(await Deno.readTextFile(file));
      assert.equal((await Deno.stat(file)).mode! & 0o777, 0o640);
      assert.deepEqual(config.urls, [{ path: "/course/view.php?id={courseid}" }]);
      assert.equal(config.pools.discovered.moodle_version, 2023100900);
      assert.equal(config.pools.discovered.prefix, "mdl_");
      assert.ok(!JSON.stringify(config.pools.discovered).includes("postgres://"));
      assert.deepEqual(config.pools.users.tool_generator_000001, {
        enrolled_courses: [2, 3],
        cmids: { assign: [24, 25], forum: [23, 32], page: [21, 22, 31] },
        discussions: [1, 2, 3, 4],
        assignments: [24],
      });
      assert.deepEqual(config.pools.users.tool_generator_000002.enrolled_courses, [2]);
      assert.deepEqual(config.pools.users.tool_generator_000002.discussions, [1, 2]);
      assert.deepEqual(config.pools.users.tool_generator_000003.enrolled_courses, []);
      assert.deepEqual(config.pools.users.tool_generator_000004.enrolled_courses, []);
      const after = await db.client.query("SELECT count(*)::int AS n, max(xmin::text) AS x FROM mdl_user");
      assert.deepEqual(after.rows, before.rows); // read only

      // config check sees the pools; run refuses the users without one.
      const check = await runCli(["config", "check", file]);
      assert.match(check.stdout, /\{courseid\}\s+enrolled_courses\s+4\s+2\s+0\s+0\s+2/);
      const run = await runCli(["run", "--config", file, "--rpm", "60", "--duration", "1"]);
      assert.equal(run.code, 2);
      assert.match(
        run.stderr.trim(),
        /^[^\n]*user "tool_generator_000003" has no enrolled_courses in pools[^\n]*$/,
      );

      // --course 3 and --dry-run: shown, not written.
      const dry = await runCli([
        "discover",
        "--config",
        file,
        "--db-url",
        db.url,
        "--course",
        "3",
        "--dry-run",
      ]);
      assert.equal(dry.code, 0, dry.stderr);
      assert.match(dry.stdout, /dry run: .* left as it is/);
      assert.deepEqual(JSON.parse(await Deno.readTextFile(file)), config);
    }),
});

Deno.test({
  name: "discover: the table prefix is read, not assumed — a wrong one is one clear line",
  ...pgReady,
  fn: () =>
    withSite("m43_", async (db, dir) => {
      const file = `${dir}/site.json`;
      await Deno.writeTextFile(file, configText());
      const wrong = await runCli(["discover", "--config", file, "--db-url", db.url]);
      assert.equal(wrong.code, 1);
      const lines = wrong.stderr.trim().split("\n");
      assert.equal(lines.length, 1, wrong.stderr);
      assert.match(
        lines[0],
        /has no table mdl_config — not a Moodle database, or its table prefix is not "mdl_"/,
      );
      assert.equal(await Deno.readTextFile(file), configText());
      const right = await runCli(["discover", "--config", file, "--db-url", db.url, "--prefix", "m43_"]);
      assert.equal(right.code, 0, right.stderr);
      assert.deepEqual(JSON.parse(await Deno.readTextFile(file)).pools.users.tool_generator_000002.cmids, {
        assign: [24, 25],
        forum: [23],
        page: [21, 22],
      });
    }),
});
