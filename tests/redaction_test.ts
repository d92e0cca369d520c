/**
 * No secret leaves the process: credentials in base_url (`http://user:pass@host`) and passwords in a
 * bad config are never printed nor written, through the real CLI.
 */
import assert from "node:assert/strict";
import { runCli } from "./helpers/cli.ts";
import { writeConfig } from "./helpers/config.ts";
import { closedPort, withDemo } from "./helpers/demo.ts";
import { defaultDemoUsers } from "../src/demo/mod.ts";
import { demoRunConfig } from "../src/demo/config.ts";
import { redactUrl } from "../src/util/redact.ts";

const SECRET = "secretpw";

/** `http://127.0.0.1:PORT` → `http://u:secretpw@127.0.0.1:PORT`. */
function withCredentials(url: string): string {
  return url.replace("://", `://u:${SECRET}@`);
}

/** Every file under `dir`, recursively, as text. */
async function allFiles(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for await (const entry of Deno.readDir(dir)) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory) Object.assign(out, await allFiles(path));
    else out[path] = await Deno.readTextFile(path);
  }
  return out;
}

function assertNoSecret(where: string, text: string): void {
  assert.ok(!text.includes(SECRET), `${where} shows the password:\n${text}`);
}

Deno.test("redactUrl hides the password of any URL, and only that", () => {
  assert.equal(redactUrl("http://u:pw@host:8/a?b=c"), "http://u:***@host:8/a?b=c");
  assert.equal(redactUrl("https://user:p%40ss@h/x"), "https://user:***@h/x");
  assert.equal(redactUrl("postgres://moodle:pw@db/moodle"), "postgres://moodle:***@db/moodle");
  assert.equal(redactUrl("http://host/path?x=a@b"), "http://host/path?x=a@b");
  assert.equal(redactUrl("http://u@host/"), "http://u@host/");
  assert.equal(redactUrl("moodle-load run: http://u:pw@h/ — 3 s"), "moodle-load run: http://u:***@h/ — 3 s");
});

Deno.test("config check never shows base_url's password (text and --json)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "moodle_load_redact_" });
  const config = await writeConfig(
    dir,
    demoRunConfig({ url: withCredentials("http://127.0.0.1:9"), users: defaultDemoUsers(1) }),
  );
  for (const args of [["config", "check", config], ["config", "check", config, "--json"]]) {
    const result = await runCli(args);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /u:\*\*\*@127\.0\.0\.1:9/);
    assertNoSecret("stdout", result.stdout);
    assertNoSecret("stderr", result.stderr);
  }
});

Deno.test("run with credentials in base_url: the password is in no output and no file", async () => {
  await withDemo({ users: defaultDemoUsers(2), pageBytes: 2_000, latencyMs: 1 }, async (demo) => {
    const dir = await Deno.makeTempDir({ prefix: "moodle_load_redact_" });
    const config = await writeConfig(
      dir,
      demoRunConfig({ url: withCredentials(demo.url), users: defaultDemoUsers(2) }),
    );
    const result = await runCli([
      "run",
      ...["--config", config, "--rpm", "600", "--duration", "2", "--progress", "1"],
      ...["--stats-dir", `${dir}/stats`, "--request-log", `${dir}/requests.jsonl`, "--json"],
    ]);
    assert.equal(result.code, 0, result.stderr);
    assertNoSecret("stdout", result.stdout);
    assertNoSecret("stderr", result.stderr);
    const files = await allFiles(dir);
    delete files[config];
    assert.ok(Object.keys(files).length >= 5, Object.keys(files).join(", "));
    for (const [path, text] of Object.entries(files)) assertNoSecret(path, text);
    assert.ok(
      Object.values(files).some((text) => text.includes("u:***@127.0.0.1")),
      "the site is still named",
    );
  });
});

Deno.test("run where no user can log in: the failure details quote base_url without its password", async () => {
  const dir = await Deno.makeTempDir({ prefix: "moodle_load_redact_" });
  const config = await writeConfig(
    dir,
    demoRunConfig({ url: withCredentials(`http://127.0.0.1:${closedPort()}`), users: defaultDemoUsers(2) }),
  );
  const result = await runCli([
    "run",
    ...["--config", config, "--rpm", "60", "--duration", "1", "--max-retries", "0"],
    ...["--stats-dir", `${dir}/stats`],
  ]);
  assert.equal(result.code, 3, result.stderr);
  assert.match(result.stderr, /no user could log in/);
  assertNoSecret("stdout", result.stdout);
  assertNoSecret("stderr", result.stderr);
  const files = await allFiles(dir);
  delete files[config];
  for (const [path, text] of Object.entries(files)) assertNoSecret(path, text);
});

Deno.test("config check on a bad config: the problem is named, the password is not", async () => {
  const dir = await Deno.makeTempDir({ prefix: "moodle_load_redact_" });
  const valid = demoRunConfig({ url: "http://127.0.0.1:9", users: defaultDemoUsers(1) });
  const cases: [string, unknown, RegExp][] = [
    [
      "a number as a user's password",
      { ...valid, users: [{ username: "s1", password: 12345678 }] },
      /\$\.users\[0\]\.password: expected string, found a number/,
    ],
    [
      "a number as db.password",
      { ...valid, db: { password: 12345678 } },
      /\$\.db\.password: expected string, found a number/,
    ],
    ["a bad base_url with a password", { ...valid, base_url: `ftp://u:${SECRET}@host` }, /\$\.base_url/],
  ];
  for (const [what, config, named] of cases) {
    const file = await writeConfig(dir, config, "bad.json");
    const result = await runCli(["config", "check", file]);
    assert.equal(result.code, 2, `${what}: ${result.stderr}`);
    assert.match(result.stderr, named, what);
    for (const secret of [SECRET, "12345678"]) {
      assert.ok(
        !result.stdout.includes(secret) && !result.stderr.includes(secret),
        `${what}: ${result.stderr}`,
      );
    }
  }
});

Deno.test("users --config with a bad db section: the password is not echoed", async () => {
  const dir = await Deno.makeTempDir({ prefix: "moodle_load_redact_" });
  const file = await writeConfig(dir, { db: { password: 12345678 } });
  const result = await runCli(["users", "--count", "1", "--password", "x", "--config", file]);
  assert.equal(result.code, 2, result.stderr);
  assert.match(result.stderr, /\$\.db\.password/);
  assert.ok(!result.stderr.includes("12345678"), result.stderr);
});
