/**
 * The config's `urls` as the engine's endpoint specs: full URL templates split around their placeholders,
 * each placeholder's values resolved from its parameter (a range, a value list, or a per-user pool).
 */
import { joinUrl } from "../util/url.ts";
import { type Parameter, placeholdersOf, type Pools } from "./schema.ts";
import { isPoolParameter, poolName, poolValues } from "./pools.ts";
import type { EndpointSpec, ParamSpec } from "../engine/targets.ts";

export interface TargetUrl {
  path: string;
  name?: string;
  weight?: number;
  expect?: readonly number[];
}

/** Who the picker's users are (index = picker user), and their pools: needed by `{"from": …}` parameters. */
export interface PoolUsers {
  usernames: readonly string[];
  pools: Pools | undefined;
}

function valueText(value: number | string): string {
  return typeof value === "number" ? String(value) : encodeURIComponent(value);
}

/** One placeholder's values (`users` needed for a per-user pool). */
export function paramSpec(
  name: string,
  path: string,
  parameter: Parameter | undefined,
  users?: PoolUsers,
): ParamSpec {
  if (!parameter) throw new Error(`{${name}} in ${path} has no range in "parameters"`);
  if ("min" in parameter) return { min: parameter.min, span: parameter.max - parameter.min + 1 };
  if ("values" in parameter) return { min: 0, span: 0, values: parameter.values.map(valueText) };
  if (!users) throw new Error(`{${name}} in ${path} is a per-user pool: the picker's users are needed`);
  const byUser = users.usernames.map((username) => poolValues(users.pools, username, parameter).map(String));
  const empty = byUser.findIndex((list) => list.length === 0);
  if (empty >= 0) {
    throw new Error(`{${name}}: user "${users.usernames[empty]}" has no ${poolName(parameter)} in pools`);
  }
  return { min: 0, span: 0, byUser };
}

export function compileEndpoints(
  baseUrl: string,
  urls: readonly TargetUrl[],
  parameters: Readonly<Record<string, Parameter>>,
  users?: PoolUsers,
): EndpointSpec[] {
  return urls.map((url) => {
    const full = joinUrl(baseUrl, url.path);
    const names = placeholdersOf(full);
    const parts = full.split(/\{[A-Za-z_][A-Za-z0-9_]*\}/);
    return {
      name: url.name ?? url.path,
      path: url.path,
      weight: url.weight ?? 1,
      expect: url.expect,
      parts,
      params: names.map((name) => paramSpec(name, url.path, parameters[name], users)),
    };
  });
}

/** Whether any placeholder of these URLs takes its values from a per-user pool. */
export function usesPools(
  urls: readonly TargetUrl[],
  parameters: Readonly<Record<string, Parameter>>,
): boolean {
  return urls.some((url) =>
    placeholdersOf(url.path).some((name) =>
      parameters[name] !== undefined && isPoolParameter(parameters[name])
    )
  );
}
