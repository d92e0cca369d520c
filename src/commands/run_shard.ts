/**
 * What `run --shard I/N` and `--start-at` change in a run (docs/distributed.md), kept out of run.ts so
 * that it only calls in: the shard's users (user u belongs to shard u mod N), its stripe of the schedule
 * and of the request sequence (src/engine/shard.ts), the wait for the agreed start, the request log's
 * global indices and the summary fields every run records (`shard`, `schedule_hash`, `start_at`).
 * Without --shard the run is shard 0/1 and nothing else changes.
 */
import type { Config } from "../config/schema.ts";
import type { RunPlan } from "../config/plan.ts";
import { resolveShard, SHARD_ENV, type ShardEnvName } from "../config/shard.ts";
import { compileEndpoints } from "../config/endpoints.ts";
import { emptyPoolMessage, emptyPools } from "../config/pools.ts";
import { EXIT, UserError } from "../errors.ts";
import type { EngineOptions, RequestLogEntry } from "../engine/engine.ts";
import type { PacedSchedule } from "../engine/schedule.ts";
import {
  globalIndex,
  ShardedPicker,
  ShardedSchedule,
  type ShardSpec,
  shardUserIndices,
  SINGLE_SHARD,
  stripeSize,
} from "../engine/shard.ts";
import { type RequestPicker, TargetPicker } from "../engine/targets.ts";
import type { VirtualUser } from "../engine/types.ts";
import { abortableSleep } from "../util/sleep.ts";
import type { ShardSummaryFields } from "../results/summary.ts";

/** A shard ready later than this after --start-at does not send what was due before (now − bound). */
export const LATE_START_BOUND_MS = 1000;

export interface ShardRunOptions {
  /** `I/N` (0-based) or `auto`. */
  shard?: string;
  shardCount?: number;
  /** Epoch ms at which every shard starts the schedule. */
  startAt?: number;
}

type EngineStart = Pick<EngineOptions, "startAtEpochMs" | "skipBeforeSec">;

/** JSON with sorted keys: the same object always hashes the same. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value && typeof value === "object") {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined).sort(([a], [b]) =>
      a < b ? -1 : 1
    );
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

/** What makes two runs' request sequences the same (never users or passwords). */
export async function scheduleHash(config: Config, plan: RunPlan, seed: number): Promise<string> {
  const shaping = {
    segments: plan.segments,
    warmup_sec: plan.warmupSec,
    kind: plan.kind,
    seed,
    urls: config.urls,
    parameters: config.parameters,
  };
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(canonicalJson(shaping)));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

function readShardEnv(name: ShardEnvName): string | undefined {
  return SHARD_ENV.includes(name) ? Deno.env.get(name) : undefined;
}

export class ShardRun {
  private constructor(
    readonly spec: ShardSpec,
    readonly sharded: boolean,
    /** The config with only this shard's users. */
    readonly config: Config,
    private readonly fullConfig: Config,
    readonly fields: ShardSummaryFields,
    private readonly startAtMs: number | undefined,
  ) {}

  /** Before the login phase: the shard, its users, the hash; refuses a --start-at already past. */
  static async plan(
    options: ShardRunOptions,
    config: Config,
    plan: RunPlan,
    seed: number,
    env: (name: ShardEnvName) => string | undefined = readShardEnv,
    nowMs = Date.now(),
  ): Promise<ShardRun> {
    const resolved = resolveShard(options.shard, options.shardCount, env);
    const spec = resolved ?? SINGLE_SHARD;
    if (options.startAt !== undefined && options.startAt <= nowMs) {
      throw new UserError(
        `--start-at ${new Date(options.startAt).toISOString()} has passed (${
          ((nowMs - options.startAt) / 1000).toFixed(1)
        } s ago) — start every shard with a time far enough ahead for the login phase`,
        EXIT.usage,
      );
    }
    const slice = shardUserIndices(config.users.length, spec);
    if (slice.length === 0) {
      throw new UserError(
        `--shard ${spec.index}/${spec.count}: the config has ${config.users.length} users, so this shard has none ` +
          `(user u belongs to shard u mod ${spec.count}) — add users or run fewer shards`,
        EXIT.usage,
      );
    }
    // A shard draws every user's requests (its picker is the whole run's): every pool must be usable.
    const empty = resolved ? emptyPools(config, config.users.map((user) => user.username)) : [];
    if (empty.length) throw new UserError(emptyPoolMessage(empty, config.users.length), EXIT.usage);
    const fields: ShardSummaryFields = {
      shard: spec,
      schedule_hash: await scheduleHash(config, plan, seed),
      ...(options.startAt !== undefined ? { start_at: new Date(options.startAt).toISOString() } : {}),
    };
    const sliced = resolved ? { ...config, users: slice.map((u) => config.users[u]) } : config;
    return new ShardRun(spec, resolved !== undefined, sliced, config, fields, options.startAt);
  }

  /** One line for the header (sharded runs only). */
  describe(totalRequests: number): string | undefined {
    if (!this.sharded) return undefined;
    const { index, count } = this.spec;
    return `shard ${index}/${count}: ${this.config.users.length} of ${this.fullConfig.users.length} users ` +
      `(u mod ${count} = ${index}), ${stripeSize(totalRequests, this.spec)} of ${totalRequests} requests ` +
      `(global #${index}, #${index + count}, …)`;
  }

  schedule(base: PacedSchedule): PacedSchedule {
    return this.sharded ? new ShardedSchedule(base, this.spec) : base;
  }

  /** The whole run's sequence, drawn over all config users; this shard keeps its stripe. */
  picker(loggedIn: readonly VirtualUser[], seed: number, single: () => RequestPicker): RequestPicker {
    if (!this.sharded) return single();
    const full = this.fullConfig;
    const usernames = full.users.map((user) => user.username);
    const endpoints = compileEndpoints(full.base_url, full.urls, full.parameters, {
      usernames,
      pools: full.pools,
    });
    const indexOf = new Map(usernames.map((name, index) => [name, index] as const).reverse());
    const globalUsers = loggedIn.map((user) => indexOf.get(user.username)!);
    return new ShardedPicker(new TargetPicker(endpoints, usernames.length, seed), this.spec, globalUsers);
  }

  /** The request log names requests by their index in the whole run. */
  requestLog(
    write: ((entry: RequestLogEntry) => void) | undefined,
  ): ((entry: RequestLogEntry) => void) | undefined {
    if (!write || !this.sharded) return write;
    const spec = this.spec;
    return (entry) => {
      entry.i = globalIndex(entry.i, spec);
      write(entry);
    };
  }

  /**
   * After the login phase: wait for --start-at. Ready late, the clock still starts at the agreed
   * instant: requests due within the last LATE_START_BOUND_MS are sent late, older ones are not sent.
   */
  async waitForStart(say: (line: string) => void, signal: AbortSignal): Promise<EngineStart> {
    if (this.startAtMs === undefined) return {};
    const waitMs = this.startAtMs - Date.now();
    if (waitMs > 0) {
      say(`waiting ${(waitMs / 1000).toFixed(1)} s for --start-at ${new Date(this.startAtMs).toISOString()}`);
      await abortableSleep(waitMs, signal);
    }
    const lateMs = Math.max(0, Date.now() - this.startAtMs);
    if (lateMs <= LATE_START_BOUND_MS) return { startAtEpochMs: this.startAtMs };
    const skipBeforeSec = (lateMs - LATE_START_BOUND_MS) / 1000;
    say(
      `late start: ready ${(lateMs / 1000).toFixed(1)} s after --start-at; the requests due in its first ` +
        `${skipBeforeSec.toFixed(1)} s are not sent (not_sent), the rest keep their intended times`,
    );
    return { startAtEpochMs: this.startAtMs, skipBeforeSec };
  }
}
