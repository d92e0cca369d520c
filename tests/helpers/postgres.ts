/**
 * A throwaway PostgreSQL database on the local server (127.0.0.1:5432, trust auth, or the PG*
 * environment), created with a random name and dropped afterwards. Never touches other databases.
 */
import pg from "pg";
import type { Availability } from "./services.ts";

export interface PgServer {
  host: string;
  port: number;
  user: string;
}

export function localServer(): PgServer {
  return {
    host: Deno.env.get("PGHOST") ?? "127.0.0.1",
    port: Number(Deno.env.get("PGPORT") ?? 5432),
    user: Deno.env.get("PGUSER") ?? "postgres",
  };
}

export async function postgresAvailability(server = localServer()): Promise<Availability> {
  const client = new pg.Client({ ...server, database: "postgres", connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query("SELECT 1");
    return { ok: true, reason: "" };
  } catch (error) {
    return { ok: false, reason: `${server.user}@${server.host}:${server.port}: ${(error as Error).message}` };
  } finally {
    await client.end().catch(() => {});
  }
}

export interface ThrowawayDatabase extends PgServer {
  name: string;
  url: string;
  /** A connected client on the throwaway database. */
  client: pg.Client;
}

async function admin<T>(server: PgServer, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ ...server, database: "postgres" });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

export async function createThrowawayDatabase(server = localServer()): Promise<ThrowawayDatabase> {
  const name = `moodle_load_test_${crypto.randomUUID().replaceAll("-", "").slice(0, 12)}`;
  await admin(server, (c) => c.query(`CREATE DATABASE ${name}`));
  const client = new pg.Client({ ...server, database: name });
  await client.connect();
  return { ...server, name, url: `postgres://${server.user}@${server.host}:${server.port}/${name}`, client };
}

export async function dropThrowawayDatabase(db: ThrowawayDatabase): Promise<void> {
  await db.client.end().catch(() => {});
  if (!db.name.startsWith("moodle_load_test_")) throw new Error(`refusing to drop ${db.name}`);
  await admin(db, (c) => c.query(`DROP DATABASE IF EXISTS ${db.name} WITH (FORCE)`));
}

export async function withThrowawayDatabase<T>(fn: (db: ThrowawayDatabase) => Promise<T>): Promise<T> {
  const db = await createThrowawayDatabase();
  try {
    return await fn(db);
  } finally {
    await dropThrowawayDatabase(db);
  }
}
