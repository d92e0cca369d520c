/** A config resolved into what a run will do: the URL mix in %, parameter ranges, counts. */
import { type Config, placeholdersOf } from "./schema.ts";
import { type EmptyPool, emptyPools, isPoolParameter, poolName, poolSizes } from "./pools.ts";
import { joinUrl } from "../util/url.ts";

export interface ResolvedEndpoint {
  name: string;
  path: string;
  weight: number;
  share: number;
  params: string[];
}

export interface ConfigSummary {
  baseUrl: string;
  loginUrl: string;
  users: number;
  endpoints: ResolvedEndpoint[];
  /** Range parameters. */
  parameters: { name: string; min: number; max: number; values: number }[];
  /** `{"values": […]}` parameters: how many values each has. */
  lists: { name: string; values: number }[];
  /** `{"from": …}` parameters: pool sizes over the config's users. */
  pools: PoolSize[];
  /** Users whose pool is empty for a parameter a URL uses (`run` refuses them). */
  emptyPools: EmptyPool[];
}

export interface PoolSize {
  name: string;
  pool: string;
  users: number;
  /** Users with no value in this pool. */
  empty: number;
  min: number;
  median: number;
  max: number;
}

export function resolveEndpoints(config: Config): ResolvedEndpoint[] {
  const total = config.urls.reduce((sum, url) => sum + (url.weight ?? 1), 0);
  return config.urls.map((url) => ({
    name: url.name ?? url.path,
    path: url.path,
    weight: url.weight ?? 1,
    share: (url.weight ?? 1) / total,
    params: placeholdersOf(url.path),
  }));
}

export function summarizeConfig(config: Config): ConfigSummary {
  const entries = Object.entries(config.parameters);
  const usernames = config.users.map((user) => user.username);
  return {
    baseUrl: config.base_url,
    loginUrl: joinUrl(config.base_url, config.login_path),
    users: config.users.length,
    endpoints: resolveEndpoints(config),
    parameters: entries.flatMap(([name, p]) =>
      "min" in p ? [{ name, min: p.min, max: p.max, values: p.max - p.min + 1 }] : []
    ),
    lists: entries.flatMap(([name, p]) => "values" in p ? [{ name, values: p.values.length }] : []),
    pools: entries.flatMap(([name, p]) =>
      isPoolParameter(p)
        ? [{ name, pool: poolName(p), ...poolSizes(config.pools, usernames, p), users: usernames.length }]
        : []
    ),
    emptyPools: emptyPools(config, usernames),
  };
}
