/**
 * What each request asks for: endpoint (weighted mix), URL (template placeholders filled from their
 * inclusive ranges) and preferred virtual user, all drawn from one seeded PRNG in a fixed order
 * (endpoint, then each placeholder left to right, then the user). The same seed gives the same
 * sequence of URLs and users.
 *
 * The PRNG is sfc32 (Chris Doty-Humphrey's Small Fast Chaotic generator, 128-bit state, passes
 * PractRand) seeded through splitmix32 — a dozen lines, no dependency, identical on every platform.
 */
import { joinUrl } from "../config/resolve.ts";
import { placeholdersOf } from "../config/schema.ts";

export class Prng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    // splitmix32 expands the seed (up to 2^53) into four words.
    let s = (seed >>> 0) ^ Math.floor(seed / 0x1_0000_0000);
    const next = () => {
      s = (s + 0x9e3779b9) | 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
      z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
      return (z ^ (z >>> 15)) >>> 0;
    };
    this.a = next();
    this.b = next();
    this.c = next();
    this.d = next();
    for (let i = 0; i < 12; i++) this.nextUint32();
  }

  nextUint32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1). */
  nextFloat(): number {
    return this.nextUint32() / 0x1_0000_0000;
  }

  /** Uniform integer in [min, max] (inclusive). */
  nextInt(min: number, max: number): number {
    return min + Math.floor(this.nextFloat() * (max - min + 1));
  }
}

/** A seed for runs that did not ask for one: printed and stored so the run can be repeated. */
export function randomSeed(): number {
  return crypto.getRandomValues(new Uint32Array(1))[0];
}

export interface TargetUrl {
  path: string;
  name?: string;
  weight?: number;
  expect?: readonly number[];
}

export interface EndpointSpec {
  name: string;
  path: string;
  weight: number;
  expect?: readonly number[];
  /** Literal pieces around the placeholders: parts.length = params.length + 1. */
  parts: string[];
  params: { min: number; span: number }[];
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

/** Draws one request at a time into its own fields (no object per request). */
export class TargetPicker {
  readonly endpoints: readonly EndpointSpec[];
  /** Cumulative weights normalised to 1. */
  private readonly cumulative: Float64Array;
  private readonly prng: Prng;
  endpoint = 0;
  url = "";
  user = 0;

  constructor(endpoints: readonly EndpointSpec[], readonly users: number, readonly seed: number) {
    if (endpoints.length === 0) throw new Error("no endpoints");
    this.endpoints = endpoints;
    const total = endpoints.reduce((sum, e) => sum + e.weight, 0);
    this.cumulative = new Float64Array(endpoints.length);
    let acc = 0;
    endpoints.forEach((e, i) => {
      acc += e.weight / total;
      this.cumulative[i] = acc;
    });
    this.cumulative[endpoints.length - 1] = 1;
    this.prng = new Prng(seed);
  }

  next(): void {
    const u = this.prng.nextFloat();
    const cumulative = this.cumulative;
    let k = 0;
    while (u >= cumulative[k]) k++;
    this.endpoint = k;
    const e = this.endpoints[k];
    let url = e.parts[0];
    for (let p = 0; p < e.params.length; p++) {
      const param = e.params[p];
      url += (param.min + Math.floor(this.prng.nextFloat() * param.span)) + e.parts[p + 1];
    }
    this.url = url;
    this.user = Math.floor(this.prng.nextFloat() * this.users);
  }
}
