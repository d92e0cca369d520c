/**
 * PostgreSQL connection settings shared by every database command (`users`, `db snapshot`,
 * `db restore`, `pg-stats`).
 *
 * Each setting is taken from the first source that has it:
 *   1. its own flag (`--db-host`, `--db-port`, `--db-name`, `--db-user`, `--db-pass`),
 *   2. `--db-url postgres://user:pass@host:port/dbname`,
 *   3. the `db` section of the config file named by `--config` (its fields, then its `url`),
 *   4. the standard PG* environment variables (PGHOST, PGPORT, PGDATABASE, PGUSER, PGPASSWORD),
 *   5. libpq's defaults (localhost:5432, user = $USER, database = user).
 * A config file named on the command line is more specific than the shell's environment, so it wins.
 *
 * The password is never printed and never put on a child's command line: `childEnv()` passes it as
 * PGPASSWORD in the child's environment.
 */
import pg from "pg";
import type { z } from "zod";
import { EXIT, UserError } from "../errors.ts";
import { DbSchema } from "../config/schema.ts";
import { jsonSyntaxError } from "../config/json_error.ts";
import { toProblems } from "../config/load.ts";
import type { ConnectionOptionValues } from "./connection_options.ts";

export type DbConfig = z.output<typeof DbSchema>;

export interface ConnectionSettings {
  /** Host name, IP address, or a unix-socket directory (starts with "/"). */
  host: string;
  port: number;
  database: string;
  user: string;
  /** Undefined: none given (the server may trust us, or ~/.pgpass may have it). */
  password?: string;
  /** libpq sslmode (disable, allow, prefer, require, verify-ca, verify-full), when one was given. */
  sslmode?: string;
  /** Moodle's table prefix, checked to be a plain identifier fragment. */
  prefix: string;
}

export const DEFAULT_PREFIX = "mdl_";
export const DEFAULT_PORT = 5432;
const SSL_MODES = ["disable", "allow", "prefer", "require", "verify-ca", "verify-full", "no-verify"];

/** The environment variables resolution looks at (pass `Deno.env.toObject()` or a test object). */
export type Env = Readonly<Record<string, string | undefined>>;

interface Layer {
  host?: string;
  port?: number;
  database?: string;
  user?: string;
  password?: string;
  sslmode?: string;
}

function usage(message: string): UserError {
  return new UserError(message, EXIT.usage);
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === "" ? undefined : value;
}

export function parsePort(value: string | number | undefined, source: string): number | undefined {
  if (value === undefined || value === "") return undefined;
  const port = typeof value === "number" ? value : Number(String(value).trim());
  if (!Number.isInteger(port) || port < 1 || port > 65535 || String(value).trim() === "") {
    throw usage(`${source}: "${value}" is not a port number (1-65535)`);
  }
  return port;
}

/** `postgres://user:pass@host:port/db?sslmode=…&host=/socket/dir` → its parts (all optional). */
export function parseDbUrl(url: string, source = "--db-url"): Layer {
  const trimmed = url.trim();
  if (!/^postgres(ql)?:\/\//i.test(trimmed)) {
    throw usage(
      `${source}: expected postgres://user@host:port/dbname, got a URL starting "${
        trimmed.slice(0, 12).replace(/:[^@]*@/, ":…@")
      }"`,
    );
  }
  let parsed: URL;
  try {
    // WHATWG URL parses authority for any scheme with "//"; swap to a special scheme so an empty
    // host (postgres:///db) and IPv6 literals behave like in libpq.
    parsed = new URL(trimmed.replace(/^postgres(ql)?:\/\//i, "http://").replace(/^http:\/\/\//, "http://_/"));
  } catch {
    throw usage(`${source}: not a valid URL (expected postgres://user@host:port/dbname)`);
  }
  const decode = (text: string) => {
    try {
      return decodeURIComponent(text);
    } catch {
      throw usage(`${source}: bad %-escape in the URL`);
    }
  };
  const parts: Layer = {};
  const host = parsed.hostname === "_" ? "" : parsed.hostname.replace(/^\[(.*)\]$/, "$1");
  if (host) parts.host = decode(host);
  if (parsed.port) parts.port = parsePort(parsed.port, source);
  if (parsed.username) parts.user = decode(parsed.username);
  if (parsed.password) parts.password = decode(parsed.password);
  const database = decode(parsed.pathname.replace(/^\//, ""));
  if (database) parts.database = database;
  const queryHost = nonEmpty(parsed.searchParams.get("host") ?? undefined);
  if (queryHost) parts.host = queryHost;
  const queryPort = parsed.searchParams.get("port");
  if (queryPort) parts.port = parsePort(queryPort, source);
  const sslmode = nonEmpty(parsed.searchParams.get("sslmode") ?? undefined);
  if (sslmode) parts.sslmode = checkSslMode(sslmode, source);
  for (const key of ["user", "dbname", "password"] as const) {
    const value = nonEmpty(parsed.searchParams.get(key) ?? undefined);
    if (value) parts[key === "dbname" ? "database" : key] = value;
  }
  return parts;
}

function checkSslMode(mode: string, source: string): string {
  if (!SSL_MODES.includes(mode)) {
    throw usage(`${source}: unknown sslmode "${mode}" (${SSL_MODES.join(", ")})`);
  }
  return mode;
}

export function checkPrefix(prefix: string, source: string): string {
  if (!/^[A-Za-z0-9_]{0,32}$/.test(prefix)) {
    throw usage(`${source}: "${prefix}" is not a table prefix (letters, digits and _ only, e.g. mdl_)`);
  }
  return prefix.toLowerCase();
}

/** Pure resolution: flags, then --db-url, then the config's db section, then PG*, then defaults. */
export function resolveConnection(
  options: ConnectionOptionValues,
  sources: { env?: Env; configDb?: DbConfig; configFile?: string } = {},
): ConnectionSettings {
  const env = sources.env ?? {};
  const configName = `${sources.configFile ?? "config"} $.db`;
  const layers: Layer[] = [];
  layers.push({
    host: nonEmpty(options.dbHost),
    port: parsePort(options.dbPort, "--db-port"),
    database: nonEmpty(options.dbName),
    user: nonEmpty(options.dbUser),
    password: options.dbPass,
  });
  if (nonEmpty(options.dbUrl)) layers.push(parseDbUrl(options.dbUrl!, "--db-url"));
  const db = sources.configDb;
  if (db) {
    layers.push({
      host: nonEmpty(db.host),
      port: parsePort(db.port, `${configName}.port`),
      database: nonEmpty(db.name),
      user: nonEmpty(db.user),
      password: db.password,
    });
    if (nonEmpty(db.url)) layers.push(parseDbUrl(db.url!, `${configName}.url`));
  }
  layers.push({
    host: nonEmpty(env.PGHOST),
    port: parsePort(nonEmpty(env.PGPORT), "PGPORT"),
    database: nonEmpty(env.PGDATABASE),
    user: nonEmpty(env.PGUSER),
    password: env.PGPASSWORD,
    sslmode: nonEmpty(env.PGSSLMODE) && checkSslMode(env.PGSSLMODE!, "PGSSLMODE"),
  });
  const pick = <K extends keyof Layer>(key: K): Layer[K] => layers.find((l) => l[key] !== undefined)?.[key];

  const user = pick("user") ?? nonEmpty(env.USER) ?? nonEmpty(env.LOGNAME) ?? "postgres";
  const prefixSource = options.dbPrefix !== undefined ? "--db-prefix" : `${configName}.prefix`;
  return {
    host: pick("host") ?? "localhost",
    port: pick("port") ?? DEFAULT_PORT,
    database: pick("database") ?? user,
    user,
    password: pick("password"),
    sslmode: pick("sslmode"),
    prefix: checkPrefix(options.dbPrefix ?? db?.prefix ?? DEFAULT_PREFIX, prefixSource),
  };
}

/** The `db` section of a config file, validated alone (the rest of the file may be incomplete). */
export function dbSectionOf(text: string, file: string): DbConfig | undefined {
  let input: unknown;
  try {
    input = JSON.parse(text);
  } catch {
    throw usage(`${file}: ${jsonSyntaxError(text)} — fix the file or drop --config`);
  }
  if (input === null || typeof input !== "object" || !("db" in input)) return undefined;
  const db = (input as { db: unknown }).db;
  const result = DbSchema.safeParse(db);
  if (!result.success) {
    const [first] = toProblems(result.error.issues[0], db, ["db"]);
    throw usage(
      `${file}: ${first.path}: ${first.message} — fix the db section (see config.schema.json) or drop --config`,
    );
  }
  return result.data;
}

/** Resolution with real inputs: the process environment and, when given and present, the config file. */
export async function resolveConnectionFromCli(
  options: ConnectionOptionValues & { config?: string },
): Promise<ConnectionSettings> {
  let configDb: DbConfig | undefined;
  if (options.config) {
    let text: string | undefined;
    try {
      text = await Deno.readTextFile(options.config);
    } catch (error) {
      // A missing config is fine here (`users` creates it); anything else is the user's to fix.
      if (!(error instanceof Deno.errors.NotFound)) {
        throw new UserError(`cannot read ${options.config}: ${(error as Error).message}`);
      }
    }
    if (text !== undefined) configDb = dbSectionOf(text, options.config);
  }
  return resolveConnection(options, { env: Deno.env.toObject(), configDb, configFile: options.config });
}

/** `user@host:port/database` — never includes the password. */
export function describeTarget(settings: ConnectionSettings, database = settings.database): string {
  const host = settings.host.includes(":") ? `[${settings.host}]` : settings.host;
  return `${settings.user}@${host}:${settings.port}/${database}`;
}

/** A reason for a failed connection, one line, without anything secret in it. */
export function connectionFailureReason(error: unknown, settings?: ConnectionSettings): string {
  // deno-lint-ignore no-explicit-any
  const e = error as any;
  let reason: string = e?.message || "";
  if (!reason && Array.isArray(e?.errors) && e.errors.length) reason = e.errors[0]?.message ?? "";
  const code: string | undefined = e?.code;
  if (!reason) reason = code ?? String(error);
  if (code === "ECONNREFUSED") reason = `connection refused (is PostgreSQL running and listening there?)`;
  else if (code === "ENOTFOUND" || code === "EAI_AGAIN") reason = `host name not found`;
  else if (code === "28P01") reason = `password authentication failed`;
  else if (code === "3D000") reason = reason.replace(/^error: /, "");
  reason = reason.replace(/\s+/g, " ").trim();
  if (settings?.password) reason = reason.replaceAll(settings.password, "***");
  return reason;
}

export function connectionError(error: unknown, settings: ConnectionSettings, database?: string): UserError {
  return new UserError(
    `cannot connect to PostgreSQL as ${describeTarget(settings, database)}: ${
      connectionFailureReason(error, settings)
    } — check --db-url/--db-host/--db-port/--db-user/--db-pass or the PG* variables`,
  );
}

/** pg's `ssl` option for a libpq sslmode. */
function sslOption(mode: string | undefined): pg.ClientConfig["ssl"] {
  if (!mode || mode === "disable" || mode === "allow" || mode === "prefer") return false;
  if (mode === "verify-ca" || mode === "verify-full") return true;
  return { rejectUnauthorized: false };
}

export function clientConfig(settings: ConnectionSettings, database = settings.database): pg.ClientConfig {
  return {
    host: settings.host,
    port: settings.port,
    database,
    user: settings.user,
    password: settings.password,
    ssl: sslOption(settings.sslmode),
    application_name: "moodle-load",
    connectionTimeoutMillis: 15_000,
  };
}

/**
 * Open a connected `pg` client, or throw a one-line UserError naming user/host/port/database and
 * the reason. `database` overrides the target (e.g. the maintenance database).
 */
export async function openClient(
  settings: ConnectionSettings,
  database = settings.database,
): Promise<pg.Client> {
  const client = new pg.Client(clientConfig(settings, database));
  // A connection that dies later (e.g. terminated) must not crash the process via 'error' events.
  client.on("error", () => {});
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => {});
    throw connectionError(error, settings, database);
  }
  return client;
}

/** The environment for pg_dump/pg_restore/psql: every setting as PG* (the password only here). */
export function childEnv(settings: ConnectionSettings, database = settings.database): Record<string, string> {
  const env: Record<string, string> = {
    PGHOST: settings.host,
    PGPORT: String(settings.port),
    PGUSER: settings.user,
    PGDATABASE: database,
    PGAPPNAME: "moodle-load",
    PGCONNECT_TIMEOUT: "15",
  };
  if (settings.password !== undefined) env.PGPASSWORD = settings.password;
  if (settings.sslmode) env.PGSSLMODE = settings.sslmode === "no-verify" ? "require" : settings.sslmode;
  return env;
}

/** `"name"` for SQL (doubling any embedded quote). */
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
