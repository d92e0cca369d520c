/** A config resolved into what a run will do: the URL mix in %, parameter ranges, counts. */
import { type Config, placeholdersOf } from "./schema.ts";
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
  parameters: { name: string; min: number; max: number; values: number }[];
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
