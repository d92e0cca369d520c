/**
 * Deterministic shards of one global run (docs/distributed.md). Shard I of N (0-based) owns every N-th
 * request of the seeded sequence — request j belongs to shard j mod N — and every N-th user — user u
 * belongs to shard u mod N. Striping by index (not by time blocks) interleaves the shards exactly at
 * every rate, through ramps, steps and profiles: the union of the N shards' intended times is the
 * single run's, request for request.
 *
 * What is identical to the single run, for request j: its intended start t_j, its endpoint, and its URL
 * when no parameter comes from a per-user pool (range and list values are drawn from the seed alone).
 * What differs: the user who sends it (the shard's own users only; the single run's preferred user u is
 * mapped to the shard's user floor(u / N) mod S, S the shard's logged-in users, which is u itself when u
 * belongs to the shard), and so a per-user pool's value comes from that user's pool.
 */
import type { PacedSchedule } from "./schedule.ts";
import type { EndpointSpec, RequestPicker } from "./targets.ts";

/** Shard `index` (0-based) of `count`. */
export interface ShardSpec {
  index: number;
  count: number;
}

export const SINGLE_SHARD: ShardSpec = { index: 0, count: 1 };

/** How many of `total` items (0…total-1, striped) belong to the shard: ceil((total − I) / N). */
export function stripeSize(total: number, shard: ShardSpec): number {
  return total > shard.index ? Math.ceil((total - shard.index) / shard.count) : 0;
}

/** The global index of the shard's k-th item. */
export function globalIndex(k: number, shard: ShardSpec): number {
  return k * shard.count + shard.index;
}

/** The global indices of the shard's users among `userCount` (user u belongs to shard u mod N). */
export function shardUserIndices(userCount: number, shard: ShardSpec): number[] {
  return Array.from({ length: stripeSize(userCount, shard) }, (_, k) => globalIndex(k, shard));
}

/** One shard's stripe of a schedule: its request k is the global request k·N + I, at the same t. */
export class ShardedSchedule implements PacedSchedule {
  readonly totalCount: number;
  readonly durationSec: number;

  constructor(readonly base: PacedSchedule, readonly shard: ShardSpec) {
    this.totalCount = stripeSize(base.totalCount, shard);
    this.durationSec = base.durationSec;
  }

  timeOf(k: number): number {
    if (k < 0) return NaN;
    if (k >= this.totalCount) return Infinity;
    return this.base.timeOf(globalIndex(k, this.shard));
  }

  /** t_j is non-decreasing in j: the requests before t are j < base.countBefore(t), the shard's among them. */
  countBefore(t: number): number {
    return stripeSize(this.base.countBefore(t), this.shard);
  }

  /** The shard's share of the target rate. */
  meanRate(from?: number, to?: number): number {
    return this.base.meanRate(from, to) / this.shard.count;
  }
}

/**
 * One shard's stripe of the global request sequence. The base picker draws every global request (the
 * PRNG advances for each index, so request j's draws are the single run's); the shard keeps its own.
 * `users` are the shard's users that logged in, as global indices into the base picker's users.
 */
export class ShardedPicker implements RequestPicker {
  readonly endpoints: readonly EndpointSpec[];
  readonly users: number;
  endpoint = 0;
  user = 0;
  private started = false;

  constructor(
    private readonly base: RequestPicker,
    readonly shard: ShardSpec,
    private readonly globalUsers: readonly number[],
  ) {
    if (globalUsers.length === 0) throw new Error("a shard needs at least one user");
    this.endpoints = base.endpoints;
    this.users = globalUsers.length;
  }

  next(): void {
    // The first request of shard I is global request I; each later one is N further on.
    const steps = this.started ? this.shard.count : this.shard.index + 1;
    this.started = true;
    for (let s = 0; s < steps; s++) this.base.next();
    this.endpoint = this.base.endpoint;
    this.user = localUser(this.base.user, this.shard, this.users);
  }

  urlFor(user: number): string {
    return this.base.urlFor(this.globalUsers[user]);
  }
}

/** The shard's user for the single run's preferred user u: floor(u / N) mod S (u itself when it is ours). */
export function localUser(globalUser: number, shard: ShardSpec, shardUsers: number): number {
  return Math.floor(globalUser / shard.count) % shardUsers;
}
