/**
 * Gather a run's metadata (summary_types.ts RunMetadata) from where each value lives: the config
 * file's bytes, the schedule, the checkout in the working directory, the site's login page and,
 * when a database connection is given (bench --db-url, --pg-stats, --restore), the Moodle database.
 * Started before the load and awaited after it, so nothing here is on the measured path; every
 * source that does not answer within its time limit leaves its values null.
 */
import type { RunMetadata } from "../results/summary_types.ts";
import { gitHead } from "../results/git_head.ts";
import { sha256Hex } from "../bench/manifest.ts";
import type { ConnectionSettings } from "../pg/connection.ts";
import type { SiteFacts } from "../moodle/site_facts.ts";
import { scheduleHash } from "./run_shard.ts";
import type { Config } from "../config/schema.ts";

export interface MetadataSources {
  configFile: string;
  /** What the schedule hash is made of (run_shard.ts scheduleHash: one rule for shards and metadata). */
  schedule: { config: Config; plan: Parameters<typeof scheduleHash>[1]; seed: number };
  tag?: string;
  /** The site's self-description (undefined: the backend cannot ask, e.g. a test's fake users). */
  site?: Promise<SiteFacts>;
  /** The Moodle database, when the command was given a connection. */
  db?: ConnectionSettings;
  cwd?: string;
}

/** `sha256:<hex>` of the config file's bytes (bench's manifest states the same); null when unreadable. */
export async function configFileHash(file: string): Promise<string | null> {
  try {
    return `sha256:${await sha256Hex(await Deno.readFile(file))}`;
  } catch {
    return null;
  }
}

export async function collectRunMetadata(sources: MetadataSources): Promise<RunMetadata> {
  const dbFacts = sources.db
    ? import("../pg/site_facts.ts").then(({ readDbFacts }) => readDbFacts(sources.db!))
    : undefined;
  const [configHash, schedule, commit, site, db] = await Promise.all([
    configFileHash(sources.configFile),
    scheduleHash(sources.schedule.config, sources.schedule.plan, sources.schedule.seed),
    gitHead(sources.cwd),
    sources.site?.catch(() => undefined),
    dbFacts?.catch(() => undefined),
  ]);
  const release = db?.moodle_release ?? null;
  const version = db?.moodle_version ?? null;
  return {
    moodle_release: release,
    moodle_version: version,
    moodle_source: release !== null || version !== null ? "database" : "none",
    php_version: site?.php_version ?? null,
    postgres_version: db?.postgres_version ?? null,
    code_commit: commit ?? null,
    tag: sources.tag ?? null,
    config_hash: configHash,
    schedule_hash: schedule,
  };
}
