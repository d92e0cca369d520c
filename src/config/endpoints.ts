/** The config's `urls` as the engine's endpoint specs: full URL templates split around their placeholders. */
import { joinUrl } from "../util/url.ts";
import { placeholdersOf } from "./schema.ts";
import type { EndpointSpec } from "../engine/targets.ts";

export interface TargetUrl {
  path: string;
  name?: string;
  weight?: number;
  expect?: readonly number[];
}

export function compileEndpoints(
  baseUrl: string,
  urls: readonly TargetUrl[],
  parameters: Readonly<Record<string, { min: number; max: number }>>,
): EndpointSpec[] {
  return urls.map((url) => {
    const full = joinUrl(baseUrl, url.path);
    const names = placeholdersOf(full);
    const parts = full.split(/\{[A-Za-z_][A-Za-z0-9_]*\}/);
    const params = names.map((name) => {
      const range = parameters[name];
      if (!range) throw new Error(`{${name}} in ${url.path} has no range in "parameters"`);
      return { min: range.min, span: range.max - range.min + 1 };
    });
    return {
      name: url.name ?? url.path,
      path: url.path,
      weight: url.weight ?? 1,
      expect: url.expect,
      parts,
      params,
    };
  });
}
