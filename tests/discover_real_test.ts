/**
 * `discover` → `run` against the real Moodle 4.3 site of /work/shared/moodle (start-moodle's JSON in
 * $MOODLE_JSON, default /tmp/moodle-dev.json). Skipped loudly when that site is not reachable. Reads the
 * database only (no `users`: the generated users already have the kit's password).
 */
import assert from "node:assert/strict";
import pg from "pg";
import { runCli } from "./helpers/cli.ts";

interface KitInfo {
  base_url: string;
  db: { url: string; prefix: string };
  users: { password: string; first: string };
  main_course_id: number;
  courses: { id: number; cmids: Record<string, number[]>; forum_discussion_ids: number[] }[];
}

async function kit(): Promise<{ info?: KitInfo; reason: string }> {
  const file = Deno.env.get("MOODLE_JSON") ?? "/tmp/moodle-dev.json";
  try {
    const info = JSON.parse(await Deno.readTextFile(file)) as KitInfo;
    const client = new pg.Client({ connectionString: info.db.url, connectionTimeoutMillis: 3000 });
    await client.connect();
    await client.end();
    const login = await fetch(`${info.base_url}/login/index.php`, { signal: AbortSignal.timeout(10_000) });
    await login.body?.cancel();
    if (login.status !== 200) return { reason: `${info.base_url}/login/index.php answered ${login.status}` };
    return { info, reason: "" };
  } catch (error) {
    return { reason: `${file}: ${(error as Error).message}` };
  }
}

const site = await kit();
if (!site.info) {
  console.warn(`\n!!! real Moodle not reachable (${site.reason}): SKIPPING discover_real_test\n`);
}

Deno.test({
  name: "real Moodle: discover gives each user only what they can open, and a pooled run has no 403/404",
  ignore: !site.info,
  fn: async () => {
    const info = site.info!;
    const dir = await Deno.makeTempDir({ prefix: "discover_real_" });
    try {
      const users = ["tool_generator_000002", "tool_generator_000003", "tool_generator_000004"]
        .map((username) => ({ username, password: info.users.password }));
      const file = `${dir}/site.json`;
      await Deno.writeTextFile(
        file,
        JSON.stringify({
          base_url: info.base_url,
          users,
          parameters: {
            courseid: { from: "enrolled_courses" },
            pageid: { from: "cmids", module: "page" },
            d: { from: "discussions" },
          },
          urls: [
            { path: "/course/view.php?id={courseid}" },
            { path: "/mod/page/view.php?id={pageid}" },
            { path: "/mod/forum/discuss.php?d={d}" },
          ],
        }),
      );
      const found = await runCli([
        "discover",
        "--config",
        file,
        "--db-url",
        info.db.url,
        "--prefix",
        info.db.prefix,
      ]);
      assert.equal(found.code, 0, found.stderr);
      const main = info.courses.find((c) => c.id === info.main_course_id)!;
      const pools = JSON.parse(await Deno.readTextFile(file)).pools;
      for (const { username } of users) {
        assert.deepEqual(pools.users[username].enrolled_courses, [main.id], username);
        assert.deepEqual(pools.users[username].cmids.page, main.cmids.page, username);
        assert.deepEqual(pools.users[username].discussions, main.forum_discussion_ids, username);
      }
      const run = await runCli(
        ["run", "--config", file, "--rpm", "60", "--duration", "8", "--concurrency", "3", "--json"],
        { cwd: dir },
      );
      assert.equal(run.code, 0, run.stderr);
      const summary = JSON.parse(run.stdout);
      assert.equal(summary.failures, 0, JSON.stringify(summary.status_codes));
      assert.deepEqual(Object.keys(summary.status_codes), ["200"]);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
