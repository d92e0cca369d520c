/**
 * The other client sessions on a database, and ending them before a restore replaces its objects.
 */
import type pg from "pg";
import { UserError } from "../errors.ts";

/**
 * The sessions a restore must end: client backends. Autovacuum and other background processes are
 * left alone — a non-superuser may not end them ("must be a superuser to terminate superuser
 * process"), autovacuum cancels itself when it blocks DDL, and DROP DATABASE ends it. Sessions of
 * other roles show backend_type NULL to an unprivileged role: a role (usesysid) marks them as clients.
 * to_jsonb: backend_type exists from PostgreSQL 10 on.
 */
const OTHER_SESSIONS = `SELECT pid, usename FROM pg_stat_activity a
  WHERE datname = $1 AND pid <> pg_backend_pid()
    AND (to_jsonb(a) ->> 'backend_type' = 'client backend'
         OR (to_jsonb(a) ->> 'backend_type' IS NULL AND usesysid IS NOT NULL))`;

export interface EndedSessions {
  ended: number;
  /** "pid 123 (role)" of client sessions this role may not end. */
  blocked: string[];
}

/** End every other client session on the database (those it may end); waits until they are gone. */
export async function terminateOtherSessions(client: pg.Client, database: string): Promise<EndedSessions> {
  const ended: number[] = [];
  const blocked: string[] = [];
  const rows = (await client.query(OTHER_SESSIONS, [database])).rows as {
    pid: number;
    usename: string | null;
  }[];
  for (const row of rows) {
    try {
      const result = await client.query(`SELECT pg_terminate_backend($1) AS ok`, [row.pid]);
      if (result.rows[0].ok) ended.push(row.pid);
    } catch (error) {
      // 42501: a superuser's session, or another role's without pg_signal_backend.
      if ((error as { code?: string }).code !== "42501") {
        throw new UserError(
          `cannot end the other sessions on ${database}: ${(error as Error).message} (the data is unchanged)`,
        );
      }
      blocked.push(`pid ${row.pid} (${row.usename ?? "another role"})`);
    }
  }
  // pg_terminate_backend only signals: wait (bounded) until the ended ones are gone.
  const deadline = Date.now() + 10_000;
  while (ended.length && Date.now() < deadline) {
    const left = await client.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE pid = ANY($1)`, [
      ended,
    ]);
    if (left.rows[0].n === 0) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { ended: ended.length, blocked };
}

/** How many other client sessions are on `database`. */
export async function countOtherSessions(client: pg.Client, database: string): Promise<number> {
  return (await client.query(OTHER_SESSIONS, [database])).rowCount ?? 0;
}
