/** `moodle-load users` end to end against a real PostgreSQL, hashes checked by Python's crypt (libxcrypt). */
import assert from "node:assert/strict";
import { parseMoodleVersion, parseUsersOptions } from "../src/pg/users.ts";
import { bcryptHash, hashKindForVersion, sha512Crypt, toPhpBcrypt } from "../src/pg/hash.ts";
import { newConfigText, replaceUsers } from "../src/pg/user_config.ts";
import { runCli } from "./helpers/cli.ts";
import { postgresAvailability, type ThrowawayDatabase, withThrowawayDatabase } from "./helpers/postgres.ts";
import { requireService } from "./helpers/services.ts";
import { createMoodleSchema } from "./helpers/moodle_db.ts";

const pgReady = requireService("PostgreSQL", await postgresAvailability());

/** Python 3's crypt module (the system's libxcrypt): an implementation independent of ours. */
async function pythonCryptOk(): Promise<{ ok: boolean; reason: string }> {
  try {
    const out = await new Deno.Command("python3", {
      args: [
        "-W",
        "ignore",
        "-c",
        "import crypt; print(crypt.crypt('a', '$2y$04$abcdefghijklmnopqrstuu')[:4])",
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(out.stdout).trim();
    return { ok: text === "$2y$", reason: text || new TextDecoder().decode(out.stderr).trim() };
  } catch (error) {
    return { ok: false, reason: (error as Error).message };
  }
}
const cryptReady = requireService("python3 crypt with $6$ and $2y$", await pythonCryptOk());

/** For each [password, hash]: does crypt(password, hash) == hash? */
async function independentlyVerified(pairs: [string, string][]): Promise<boolean[]> {
  const child = new Deno.Command("python3", {
    args: [
      "-W",
      "ignore",
      "-c",
      "import crypt, json, sys\nprint(json.dumps([crypt.crypt(p, h) == h for p, h in json.load(sys.stdin)]))",
    ],
    stdin: "piped",
    stdout: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(JSON.stringify(pairs)));
  await writer.close();
  return JSON.parse(new TextDecoder().decode((await child.output()).stdout));
}

Deno.test({
  name: "hashes: SHA-512 crypt and $2y$ bcrypt verify with an independent implementation",
  ...cryptReady,
  fn: async () => {
    const sha = sha512Crypt("pässword 1");
    assert.match(sha, /^\$6\$rounds=10000\$[./0-9A-Za-z]{16}\$[./0-9A-Za-z]{86}$/);
    const bc = bcryptHash("pässword 1");
    assert.match(bc, /^\$2y\$10\$[./0-9A-Za-z]{53}$/);
    assert.deepEqual(
      await independentlyVerified([["pässword 1", sha], ["pässword 1", bc], ["wrong", sha], ["wrong", bc]]),
      [true, true, false, false],
    );
    assert.equal(toPhpBcrypt("$2b$10$x"), "$2y$10$x");
    assert.equal(toPhpBcrypt("$2a$10$x"), "$2y$10$x");
  },
});

Deno.test("users: version → hash kind, flag validation", () => {
  assert.equal(hashKindForVersion(2023100900), "sha512");
  assert.equal(hashKindForVersion(2023100899), "bcrypt");
  assert.equal(parseMoodleVersion("2024100700.03"), 2024100700);
  assert.equal(parseMoodleVersion("abc"), undefined);
  const base = { pattern: "tool_generator_%", hash: "auto", password: "p" };
  assert.throws(() => parseUsersOptions({ ...base }), /--count N/);
  assert.throws(() => parseUsersOptions({ ...base, count: "0" }), /--count: "0"/);
  assert.throws(() => parseUsersOptions({ ...base, count: "3", usernames: "a" }), /not both/);
  assert.throws(() => parseUsersOptions({ ...base, count: "3", hash: "md5" }), /--hash/);
  assert.throws(() => parseUsersOptions({ ...base, count: "3", password: "" }), /--password/);
  assert.deepEqual(parseUsersOptions({ ...base, usernames: " a,b ,a," }).usernames, ["a", "b"]);
});

Deno.test("users: config rewrite replaces only the users array, keeping keys, order and formatting", () => {
  const original = `{
  // comment kept
  "db": { "host": "h", "name": "moodle" },
  "base_url": "https://m.example.org",
  "users": [{"username": "old", "password": "x"}],
  "urls": [ { "path": "/my/" } ],
  "zzz_order": 1
}
`;
  const updated = replaceUsers(original, [{ username: "u1", password: 'p"1' }, {
    username: "u2",
    password: "p2",
  }]);
  assert.ok(updated.startsWith(`{\n  // comment kept\n  "db": { "host": "h", "name": "moodle" },\n`));
  assert.ok(updated.endsWith(`  "urls": [ { "path": "/my/" } ],\n  "zzz_order": 1\n}\n`));
  assert.ok(updated.includes(`    { "username": "u1", "password": "p\\"1" },\n`));
  const withoutUsers = replaceUsers(`{\n    "base_url": "x"\n}`, [{ username: "a", password: "b" }]);
  assert.deepEqual(JSON.parse(withoutUsers), { base_url: "x", users: [{ username: "a", password: "b" }] });
  const created = JSON.parse(newConfigText([{ username: "a", password: "b" }]));
  assert.deepEqual(Object.keys(created), ["base_url", "login_path", "users", "parameters", "urls"]);
  assert.throws(() => replaceUsers("[1]", []), /not a JSON object/);
  assert.throws(() => replaceUsers("{", []), /not valid JSON/);
});

interface UserState {
  username: string;
  password: string;
  auth: string;
  confirmed: number;
  suspended: number;
}

async function userStates(db: ThrowawayDatabase): Promise<UserState[]> {
  return (await db.client.query(
    `SELECT username, password, auth, confirmed, suspended FROM mdl_user WHERE username LIKE 'tool%' ORDER BY id`,
  )).rows;
}

async function prefs(db: ThrowawayDatabase): Promise<string[]> {
  return (await db.client.query(
    `SELECT u.username || ':' || p.name || '=' || p.value AS p FROM mdl_user_preferences p
       JOIN mdl_user u ON u.id = p.userid ORDER BY u.id, p.name`,
  )).rows.map((r) => r.p);
}

async function breakAccounts(db: ThrowawayDatabase): Promise<void> {
  await db.client.query(`
    UPDATE mdl_user SET auth = 'nologin' WHERE username = 'tool_generator_000001';
    UPDATE mdl_user SET confirmed = 0 WHERE username = 'tool_generator_000002';
    UPDATE mdl_user SET suspended = 1 WHERE username = 'tool_generator_000003';
    UPDATE mdl_user SET email = '' WHERE username = 'tool_generator_000004';
    INSERT INTO mdl_user_preferences (userid, name, value)
      SELECT id, n, '1' FROM mdl_user, unnest(ARRAY['auth_forcepasswordchange', 'login_lockout',
        'login_failed_count', 'login_failed_last', 'email_bounce_count']) AS n
       WHERE username IN ('tool_generator_000001', 'tool_generator_000009');
    INSERT INTO mdl_user_preferences (userid, name, value)
      SELECT id, 'login_lockout_ignored', '0' FROM mdl_user WHERE username = 'tool_generator_000002';
  `);
}

async function tempConfig(): Promise<{ dir: string; file: string; original: string }> {
  const dir = await Deno.makeTempDir({ prefix: "moodle-load-users-" });
  const file = `${dir}/site.json`;
  const original = `{
  "base_url": "https://moodle.test",
  "users": [ { "username": "someone", "password": "old" } ],
  "db": { "prefix": "mdl_" },
  "urls": [ { "path": "/my/", "weight": 2 } ],
  "thresholds": ["p95<800ms"]
}
`;
  await Deno.writeTextFile(file, original);
  return { dir, file, original };
}

for (
  const [label, version, format, check] of [
    ["4.5 → SHA-512 crypt", 2024100700, /^\$6\$rounds=10000\$[./0-9A-Za-z]{16}\$/, "sha512"],
    ["4.1 → $2y$ bcrypt", 2022112800, /^\$2y\$10\$/, "bcrypt"],
  ] as const
) {
  Deno.test({
    name: `users: Moodle ${label}, accounts made usable, preferences cleared, config rewritten`,
    ...(pgReady.ignore ? pgReady : cryptReady),
    fn: () =>
      withThrowawayDatabase(async (db) => {
        await createMoodleSchema(db.client, { version, users: 12 });
        await breakAccounts(db);
        const before = await userStates(db);
        const { dir, file, original } = await tempConfig();
        try {
          const result = await runCli(
            ["users", "--count", "10", "--password", "Test-Pw 1", "--config", file, "--db-url", db.url],
          );
          assert.equal(result.code, 0, result.stderr);
          assert.match(result.stdout, new RegExp(`→ ${check} hashes`));
          assert.match(result.stdout, /auth → manual\s+1 user/);
          assert.match(result.stdout, /confirmed → 1\s+1 user/);
          assert.match(result.stdout, /suspended → 0\s+1 user/);
          assert.match(result.stdout, /tool_generator_000004 \(email\)/);
          assert.ok(!result.stdout.includes("Test-Pw 1"), "the password is never printed");

          const after = await userStates(db);
          const selected = after.slice(0, 10);
          for (const user of selected) {
            assert.match(user.password, format);
            assert.deepEqual([user.auth, user.confirmed, user.suspended], ["manual", 1, 0], user.username);
          }
          assert.deepEqual(
            await independentlyVerified(selected.map((u) => ["Test-Pw 1", u.password])),
            selected.map(() => true),
          );
          assert.deepEqual(after.slice(10), before.slice(10), "users beyond --count are untouched");
          const left = await prefs(db);
          assert.deepEqual(
            left.filter((p) => /auth_force|login_lockout=|login_failed/.test(p) && /0000(01|09)/.test(p)),
            [],
          );
          assert.ok(left.includes("tool_generator_000009:email_bounce_count=1"), "other preferences stay");
          for (let i = 1; i <= 10; i++) {
            assert.ok(left.includes(`tool_generator_${String(i).padStart(6, "0")}:login_lockout_ignored=1`));
          }
          assert.ok(!left.some((p) => p.startsWith("tool_generator_000011:")));

          const written = await Deno.readTextFile(file);
          const config = JSON.parse(written);
          assert.deepEqual(Object.keys(config), ["base_url", "users", "db", "urls", "thresholds"]);
          assert.deepEqual(
            config.users.map((u: { username: string }) => u.username),
            selected.map((u) => u.username),
          );
          assert.ok(config.users.every((u: { password: string }) => u.password === "Test-Pw 1"));
          const { users: _a, ...rest } = config;
          const { users: _b, ...originalRest } = JSON.parse(original);
          assert.deepEqual(rest, originalRest);
          assert.ok(
            written.endsWith(original.slice(original.indexOf(`  "db"`))),
            "text after users unchanged",
          );
        } finally {
          await Deno.remove(dir, { recursive: true });
        }
      }),
  });
}

Deno.test({
  name: "users: --dry-run changes nothing; too few users is an error unless --allow-fewer; --usernames",
  ...pgReady,
  fn: () =>
    withThrowawayDatabase(async (db) => {
      await createMoodleSchema(db.client, { users: 5 });
      await breakAccounts(db);
      const before = [await userStates(db), await prefs(db)];
      const { dir, file, original } = await tempConfig();
      try {
        const dry = await runCli(
          ["users", "--count", "3", "--password", "x", "--config", file, "--db-url", db.url, "--dry-run"],
        );
        assert.equal(dry.code, 0, dry.stderr);
        assert.match(dry.stdout, /DRY RUN/);
        assert.match(dry.stdout, /auth → manual\s+1 user/);
        assert.deepEqual([await userStates(db), await prefs(db)], before);
        assert.equal(await Deno.readTextFile(file), original);

        const few = await runCli(["users", "--count", "9", "--password", "x", "--db-url", db.url]);
        assert.equal(few.code, 1);
        assert.match(few.stderr, /^moodle-load: only 5 user\(s\) match "tool_generator_%" but --count is 9/);
        assert.equal(few.stderr.trim().split("\n").length, 1);
        assert.deepEqual([await userStates(db), await prefs(db)], before);

        const allowed = await runCli(
          [
            "users",
            "--count",
            "9",
            "--password",
            "x",
            "--db-url",
            db.url,
            "--allow-fewer",
            "--hash",
            "bcrypt",
          ],
        );
        assert.equal(allowed.code, 0, allowed.stderr);
        assert.ok((await userStates(db)).every((u) => u.password.startsWith("$2y$")));

        const missing = await runCli(
          ["users", "--usernames", "tool_generator_000002,nobody", "--password", "y", "--db-url", db.url],
        );
        assert.equal(missing.code, 1);
        assert.match(missing.stderr, /1 of 2 user\(s\) not found \(or deleted\): nobody/);
        const named = await runCli(
          [
            "users",
            "--usernames",
            "tool_generator_000002",
            "--password",
            "y",
            "--db-url",
            db.url,
            "--hash",
            "sha512",
          ],
        );
        assert.equal(named.code, 0, named.stderr);
        const states = await userStates(db);
        assert.ok(states[1].password.startsWith("$6$") && states[0].password.startsWith("$2y$"));

        const wrongPrefix = await runCli(
          ["users", "--count", "1", "--password", "x", "--db-url", db.url, "--db-prefix", "m2_"],
        );
        assert.equal(wrongPrefix.code, 1);
        assert.match(wrongPrefix.stderr, /has no table m2_user.*--db-prefix/);
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    }),
});
