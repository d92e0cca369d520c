/** A config resolved into what a run will do: the URL mix in %, parameter ranges, counts. */
import { type Config, placeholdersOf } from "./schema.ts";

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
  parameters: { name: string; min: number; max: number; values: number }[];
}

/** Join base_url (which may carry a sub-path) and a path that starts with "/". */
export function joinUrl(baseUrl: string, path: string): string {
  return baseUrl.replace(/\/+$/, "") + (path.startsWith("/") ? path : `/${path}`);
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
  return {
    baseUrl: config.base_url,
    loginUrl: joinUrl(config.base_url, config.login_path),
    users: config.users.length,
    endpoints: resolveEndpoints(config),
    parameters: Object.entries(config.parameters).map(([name, range]) => ({
      name,
      min: range.min,
      max: range.max,
      values: range.max - range.min + 1,
    })),
  };
}
