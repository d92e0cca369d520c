/**
 * What the Moodle database says about the site: Moodle's `release` and `version` rows of
 * `<prefix>config` (what admin/index.php and the upgrade compare) and `SHOW server_version`. Read
 * only, one short connection; any failure (unreachable, no such table, no rights) is "not known".
 */
import { clientConfig, type ConnectionSettings, quoteIdent } from "./connection.ts";
import pg from "pg";

export interface DbFacts {
  moodle_release: string | null;
  moodle_version: string | null;
  postgres_version: string | null;
}

const UNKNOWN: DbFacts = { moodle_release: null, moodle_version: null, postgres_version: null };

export async function readDbFacts(settings: ConnectionSettings, timeoutMs = 5000): Promise<DbFacts> {
  const client = new pg.Client({
    ...clientConfig(settings),
    connectionTimeoutMillis: timeoutMs,
    statement_timeout: timeoutMs,
  });
  client.on("error", () => {});
  try {
    await client.connect();
    const facts = { ...UNKNOWN };
    const server = await client.query<{ server_version: string }>("SHOW server_version");
    facts.postgres_version = server.rows[0]?.server_version ?? null;
    try {
      const rows = await client.query<{ name: string; value: string }>(
        `SELECT name, value FROM ${
          quoteIdent(`${settings.prefix}config`)
        } WHERE name IN ('release', 'version')`,
      );
      for (const row of rows.rows) {
        if (row.name === "release") facts.moodle_release = row.value;
        if (row.name === "version") facts.moodle_version = row.value;
      }
    } catch {
      // not a Moodle database (or no rights on it): the server version still stands
    }
    return facts;
  } catch {
    return { ...UNKNOWN };
  } finally {
    await client.end().catch(() => {});
  }
}
