/**
 * Run metadata against the REAL Moodle 4.3 kit (tests/helpers/real_moodle.ts): what a real site
 * lets the tool read about itself. `bench --db-url` records the Moodle release and version from the
 * database and PostgreSQL's version; PHP only when the site sends X-Powered-By (the kit does not);
 * the commit of the checkout and the config's hash. docs/moodle-protocol.md writes the findings down.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import pg from "pg";
import { ROOT, runCli } from "./helpers/cli.ts";
import { realMoodle } from "./helpers/real_moodle.ts";
import { requireService } from "./helpers/services.ts";
import { readSiteFacts } from "../src/moodle/site_facts.ts";
import { readDbFacts } from "../src/pg/site_facts.ts";
import { resolveConnection } from "../src/pg/connection.ts";
import { sha256Hex } from "../src/bench/manifest.ts";
import type { FullRunSummary } from "../src/results/summary.ts";

const { site, availability } = await realMoodle();
const service = requireService("a real Moodle site (../shared/moodle/start-moodle)", availability);

async function serverVersion(url: string): Promise<string> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<{ server_version: string }>("SHOW server_version")).rows[0].server_version;
  } finally {
    await client.end();
  }
}

Deno.test({
  name: "real Moodle 4.3: the public pages name no version; the database has release and version",
  ...service,
  fn: async () => {
    const moodle = site!;
    const login = await fetch(`${moodle.base_url}${moodle.login_path}`);
    const html = await login.text();
    // what a stock 4.3 exposes without a login: no generator tag, no version, no X-Powered-By
    assert.doesNotMatch(html, /<meta[^>]+name="generator"/i);
    assert.ok(!html.includes(moodle.moodle.version), "the login page does not show $version");
    const poweredBy = login.headers.get("x-powered-by");
    const facts = await readSiteFacts(`${moodle.base_url}${moodle.login_path}`, {});
    assert.equal(facts.php_version, poweredBy ? /PHP\/(\S+)/.exec(poweredBy)![1] : null);
    for (const path of ["/lib/upgrade.txt", "/README.txt"]) {
      const response = await fetch(`${moodle.base_url}${path}`);
      await response.body?.cancel();
      assert.equal(response.status, 404, `${path} is not served`);
    }
    const db = await readDbFacts(resolveConnection({ dbUrl: moodle.db.url }));
    assert.deepEqual(db, {
      moodle_release: moodle.moodle.release,
      moodle_version: moodle.moodle.version,
      postgres_version: await serverVersion(moodle.db.url),
    });
    // a database that is not Moodle's: the server version still, the Moodle values unknown
    const other = await readDbFacts(resolveConnection({ dbUrl: moodle.db.url, dbPrefix: "nosuch_" }));
    assert.deepEqual([other.moodle_release, other.moodle_version], [null, null]);
    assert.equal(other.postgres_version, db.postgres_version);
    // nobody listening: unknown, within the time limit, not an error
    const started = performance.now();
    const none = await readDbFacts(resolveConnection({ dbUrl: "postgres://x@127.0.0.1:1/none" }), 2000);
    assert.deepEqual(none, { moodle_release: null, moodle_version: null, postgres_version: null });
    assert.ok(performance.now() - started < 3000);
  },
});

Deno.test({
  name: "bench --db-url --tag on the real site records what it ran against in the summary",
  ...service,
  fn: async () => {
    const moodle = site!;
    const dir = await Deno.makeTempDir({ prefix: "metadata_real_" });
    try {
      const config = join(dir, "config.json");
      await Deno.writeTextFile(
        config,
        JSON.stringify({
          base_url: moodle.base_url,
          login_path: moodle.login_path,
          users: [],
          urls: [{ path: "/my/", name: "dashboard" }, {
            path: `/course/view.php?id=${moodle.main_course_id}`,
          }],
        }),
      );
      // Four users of our own with the kit's documented password (other tests set their own on others).
      const usernames = [57, 58, 59, 60].map((k) => `tool_generator_${String(k).padStart(6, "0")}`);
      const users = await runCli([
        "users",
        "--usernames",
        usernames.join(","),
        "--password",
        moodle.users.password,
        "--config",
        config,
        "--db-url",
        moodle.db.url,
      ]);
      assert.equal(users.code, 0, users.stderr);
      const result = await runCli([
        "bench",
        "--config",
        config,
        "--rpm",
        "120",
        "--duration",
        "4",
        "--out",
        dir,
        "--tag",
        "meta-check",
        "--db-url",
        moodle.db.url,
        "--quiet",
      ]);
      assert.equal(result.code, 0, result.stderr + result.stdout);
      const runDir = [...Deno.readDirSync(dir)].find((e) => e.isDirectory && e.name.endsWith("_meta-check"))!;
      const summaryName = [...Deno.readDirSync(join(dir, runDir.name))].find((e) =>
        /^load_summary_.*\.json$/.test(e.name)
      )!.name;
      const summary = JSON.parse(
        await Deno.readTextFile(join(dir, runDir.name, summaryName)),
      ) as FullRunSummary;
      const head = new TextDecoder().decode(
        (await new Deno.Command("git", { args: ["rev-parse", "HEAD"], cwd: ROOT, stdout: "piped" }).output())
          .stdout,
      ).trim();
      assert.ok(summary.total > 0 && summary.login.logged_in === 4, JSON.stringify(summary.login));
      assert.deepEqual(summary.metadata, {
        moodle_release: moodle.moodle.release,
        moodle_version: moodle.moodle.version,
        moodle_source: "database",
        php_version: null, // the kit's PHP does not send X-Powered-By (checked above)
        postgres_version: await serverVersion(moodle.db.url),
        code_commit: head,
        tag: "meta-check",
        config_hash: `sha256:${await sha256Hex(await Deno.readFile(config))}`,
        schedule_hash: summary.metadata!.schedule_hash,
      });
      assert.match(summary.metadata!.schedule_hash!, /^[0-9a-f]{64}$/);
      // the bench report shows it
      const html = await Deno.readTextFile(join(dir, runDir.name, "report.html"));
      assert.ok(html.includes(moodle.moodle.release), "release in the report's settings");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
