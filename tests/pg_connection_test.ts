import assert from "node:assert/strict";
import { Command } from "@commander-js/extra-typings";
import { addConnectionOptions, type ConnectionOptionValues } from "../src/pg/connection_options.ts";
import {
  childEnv,
  connectionError,
  dbSectionOf,
  describeTarget,
  openClient,
  parseDbUrl,
  resolveConnection,
} from "../src/pg/connection.ts";
import { UserError } from "../src/errors.ts";

const ENV = {
  PGHOST: "envhost",
  PGPORT: "6000",
  PGDATABASE: "envdb",
  PGUSER: "envuser",
  PGPASSWORD: "envpw",
};

Deno.test("connection: flags win over the URL, the config's db section, PG* and the defaults", () => {
  const s = resolveConnection(
    { dbHost: "flaghost", dbUrl: "postgres://urluser:urlpw@urlhost:5555/urldb" },
    {
      env: ENV,
      configDb: { host: "cfghost", port: 7000, name: "cfgdb", user: "cfguser", password: "cfgpw" },
    },
  );
  assert.deepEqual(
    { ...s },
    {
      host: "flaghost",
      port: 5555,
      database: "urldb",
      user: "urluser",
      password: "urlpw",
      sslmode: undefined,
      prefix: "mdl_",
    },
  );
});

Deno.test("connection: each missing setting falls back separately (config, then PG*, then defaults)", () => {
  const fromConfig = resolveConnection({ dbName: "flagdb" }, {
    env: ENV,
    configDb: { host: "cfghost", prefix: "m2_" },
  });
  assert.equal(fromConfig.host, "cfghost");
  assert.equal(fromConfig.database, "flagdb");
  assert.equal(fromConfig.port, 6000);
  assert.equal(fromConfig.user, "envuser");
  assert.equal(fromConfig.password, "envpw");
  assert.equal(fromConfig.prefix, "m2_");

  const configUrl = resolveConnection({}, {
    env: {},
    configDb: { url: "postgresql://a@b:1234/c", user: "z" },
  });
  assert.deepEqual([configUrl.user, configUrl.host, configUrl.port, configUrl.database], [
    "z",
    "b",
    1234,
    "c",
  ]);

  const defaults = resolveConnection({}, { env: { USER: "alice" } });
  assert.deepEqual(
    [defaults.host, defaults.port, defaults.user, defaults.database, defaults.password, defaults.prefix],
    ["localhost", 5432, "alice", "alice", undefined, "mdl_"],
  );
  assert.equal(resolveConnection({ dbPrefix: "x_" }, { configDb: { prefix: "m2_" } }).prefix, "x_");
});

Deno.test("connection: URLs with escapes, IPv6, unix sockets and sslmode", () => {
  assert.deepEqual(parseDbUrl("postgres://u%40x:p%3Aw%2F@[::1]:5433/my%20db?sslmode=require"), {
    user: "u@x",
    password: "p:w/",
    host: "::1",
    port: 5433,
    database: "my db",
    sslmode: "require",
  });
  assert.deepEqual(parseDbUrl("postgres:///moodle?host=/var/run/postgresql"), {
    database: "moodle",
    host: "/var/run/postgresql",
  });
  assert.deepEqual(parseDbUrl("postgresql://h"), { host: "h" });
});

Deno.test("connection: bad input is one usage error naming the source, never echoing the password", () => {
  const bad: [() => unknown, RegExp][] = [
    [() => resolveConnection({ dbPort: "54x" }), /--db-port: "54x" is not a port/],
    [() => resolveConnection({ dbPort: "70000" }), /--db-port/],
    [() => resolveConnection({}, { env: { PGPORT: "abc" } }), /PGPORT/],
    [() => resolveConnection({ dbUrl: "mysql://u:secretpw@h/db" }), /--db-url: expected postgres:\/\//],
    [() => resolveConnection({ dbUrl: "postgres://h:99999/db" }), /--db-url/],
    [() => resolveConnection({ dbUrl: "postgres://h/db?sslmode=maybe" }), /unknown sslmode "maybe"/],
    [() => resolveConnection({ dbPrefix: "mdl; drop" }), /--db-prefix: .* is not a table prefix/],
    [
      () => resolveConnection({}, { configDb: { port: 0 } as never, configFile: "c.json" }),
      /c\.json \$\.db\.port/,
    ],
  ];
  for (const [fn, pattern] of bad) {
    assert.throws(fn, (error: unknown) => {
      assert.ok(error instanceof UserError);
      assert.equal(error.exitCode, 2);
      assert.match(error.message, pattern);
      assert.ok(!error.message.includes("secretpw"), error.message);
      assert.ok(!error.message.includes("\n"));
      return true;
    });
  }
});

Deno.test("connection: the config's db section is validated alone", () => {
  assert.equal(dbSectionOf(`{"base_url": 1}`, "c.json"), undefined);
  assert.deepEqual(dbSectionOf(`{"db": {"host": "h", "port": 1}}`, "c.json"), { host: "h", port: 1 });
  assert.throws(() => dbSectionOf(`{"db": {"hots": "h"}}`, "c.json"), /c\.json: \$\.db/);
  assert.throws(() => dbSectionOf(`{`, "c.json"), /c\.json: not valid JSON/);
});

Deno.test("connection: child env carries the password; the description never does", () => {
  const s = resolveConnection({ dbUrl: "postgres://u:s3cret@h:1/d?sslmode=verify-full" });
  const env = childEnv(s);
  assert.deepEqual(
    [env.PGHOST, env.PGPORT, env.PGUSER, env.PGDATABASE, env.PGPASSWORD, env.PGSSLMODE],
    ["h", "1", "u", "d", "s3cret", "verify-full"],
  );
  assert.equal(childEnv(s, "postgres").PGDATABASE, "postgres");
  assert.ok(!("PGPASSWORD" in childEnv(resolveConnection({ dbUrl: "postgres://u@h/d" }))));
  assert.equal(describeTarget(s), "u@h:1/d");
  const error = connectionError(Object.assign(new Error("boom s3cret"), { code: "XX" }), s);
  assert.match(error.message, /^cannot connect to PostgreSQL as u@h:1\/d: boom \*\*\*/);
});

Deno.test("connection: addConnectionOptions parses every flag", () => {
  let seen: ConnectionOptionValues = {};
  const command = addConnectionOptions(new Command("x").exitOverride()).action((options) => {
    seen = options;
  });
  command.parse(
    ["--db-url", "postgres://a/b", "--db-host", "h", "--db-port", "1", "--db-name", "n", "--db-user", "u"]
      .concat(["--db-pass", "p", "--db-prefix", "q_"]),
    { from: "user" },
  );
  assert.deepEqual(seen, {
    dbUrl: "postgres://a/b",
    dbHost: "h",
    dbPort: "1",
    dbName: "n",
    dbUser: "u",
    dbPass: "p",
    dbPrefix: "q_",
  });
});

Deno.test("connection: a refused connection is one line naming user, host, port and database", async () => {
  // Port 9 on loopback: nothing listens there.
  const settings = resolveConnection({ dbUrl: "postgres://someone:pw@127.0.0.1:9/somedb" });
  await assert.rejects(() => openClient(settings), (error: unknown) => {
    assert.ok(error instanceof UserError);
    assert.match(error.message, /someone@127\.0\.0\.1:9\/somedb: connection refused/);
    assert.ok(!error.message.includes("pw@"));
    return true;
  });
});
