/**
 * `users` → `discover` → `run` against the real Moodle 4.3 the suite starts (tests/helpers/real_moodle.ts:
 * skipped loudly when it cannot start, a failure under CI=true). Sets its users' passwords itself with
 * `users`, so it does not depend on what other tests did to them.
 */
import assert from "node:assert/strict";
import { runCli } from "./helpers/cli.ts";
import { realMoodle } from "./helpers/real_moodle.ts";
import { requireService } from "./helpers/services.ts";

const { site: kitSite, availability } = await realMoodle();
const service = requireService("a real Moodle site (../shared/moodle/start-moodle)", availability);
const PASSWORD = `Disc-${crypto.randomUUID().slice(0, 8)}-1`;

Deno.test({
  name: "real Moodle: discover gives each user only what they can open, and a pooled run has no 403/404",
  ignore: service.ignore,
  fn: async () => {
    if (!kitSite) throw new Error(`the real Moodle site did not start: ${availability.reason}`);
    const info = kitSite;
    const dir = await Deno.makeTempDir({ prefix: "discover_real_" });
    try {
      const file = `${dir}/site.json`;
      await Deno.writeTextFile(
        file,
        JSON.stringify({
          base_url: info.base_url,
          users: [],
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
      const reset = await runCli([
        "users",
        "--count",
        "4",
        "--password",
        PASSWORD,
        "--config",
        file,
        "--db-url",
        info.db.url,
      ]);
      assert.equal(reset.code, 0, reset.stderr);
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
      // tool_generator_000001 is also the one student of the small courses: the others see only the main one.
      const users = (JSON.parse(await Deno.readTextFile(file)).users as { username: string }[])
        .filter(({ username }) => username !== "tool_generator_000001");
      assert.equal(users.length, 3);
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
