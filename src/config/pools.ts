/**
 * Per-user pools in a config: which list a `{"from": …}` parameter names, and how big each user's is.
 * Pure; endpoints.ts turns the lists into the engine's per-user parameter values, resolve.ts sizes them
 * for `config check`, run.ts refuses a run where one is empty.
 */
import { type Config, type ParameterPool, placeholdersOf, type Pools } from "./schema.ts";

export function isPoolParameter(parameter: Config["parameters"][string]): parameter is ParameterPool {
  return "from" in parameter;
}

/** "enrolled_courses", "cmids.page": the pool's path below `pools.users.<username>`. */
export function poolName(pool: ParameterPool): string {
  return pool.from === "cmids" ? `cmids.${pool.module}` : pool.from;
}

/** One user's values of a pool (empty when the user or the list is missing). */
export function poolValues(
  pools: Pools | undefined,
  username: string,
  pool: ParameterPool,
): readonly number[] {
  const user = pools?.users[username];
  if (!user) return [];
  if (pool.from === "cmids") return user.cmids?.[pool.module!] ?? [];
  return user[pool.from] ?? [];
}

export interface PoolSizes {
  /** Users with at least one value. */
  users: number;
  /** Users with none. */
  empty: number;
  min: number;
  /** The lower median of the users' sizes. */
  median: number;
  max: number;
}

/** How big one pool is over these users. */
export function poolSizes(
  pools: Pools | undefined,
  usernames: readonly string[],
  pool: ParameterPool,
): PoolSizes {
  const sizes = usernames.map((u) => poolValues(pools, u, pool).length).sort((a, b) => a - b);
  const empty = sizes.filter((n) => n === 0).length;
  return {
    users: sizes.length - empty,
    empty,
    min: sizes[0] ?? 0,
    median: sizes.length ? sizes[Math.floor((sizes.length - 1) / 2)] : 0,
    max: sizes.at(-1) ?? 0,
  };
}

export interface EmptyPool {
  username: string;
  parameter: string;
  pool: string;
}

/** Every (user, pool parameter used by a URL) pair without a value, in users' then parameters' order. */
export function emptyPools(config: Config, usernames: readonly string[]): EmptyPool[] {
  const used = new Set(config.urls.flatMap((url) => placeholdersOf(url.path)));
  const pooled = Object.entries(config.parameters).filter(([name, p]) =>
    used.has(name) && isPoolParameter(p)
  );
  return usernames.flatMap((username) =>
    pooled.flatMap(([parameter, pool]) =>
      poolValues(config.pools, username, pool as ParameterPool).length
        ? []
        : [{ username, parameter, pool: poolName(pool as ParameterPool) }]
    )
  );
}

/** One line naming the first empty pool: the user, the pool and the fix. */
export function emptyPoolMessage(empty: readonly EmptyPool[], total: number): string {
  const first = empty[0];
  const others = new Set(empty.map((e) => e.username)).size - 1;
  return `user "${first.username}" has no ${first.pool} in pools (parameter {${first.parameter}})` +
    (others > 0 ? ` and ${others} more of ${total} users have an empty pool` : "") +
    ` — run \`moodle-load discover\`, enrol the user, or drop them from "users"`;
}
