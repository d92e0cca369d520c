/**
 * What each request asks for: endpoint (weighted mix), URL (template placeholders filled from their
 * inclusive ranges, value lists or per-user pools) and preferred virtual user, all drawn from one
 * seeded PRNG in a fixed order. The same seed gives the same sequence of URLs and users.
 *
 * Draw order: the endpoint; then, for an endpoint without per-user parameters, each placeholder left to
 * right and then the user (the order every seeded run before per-user pools used, so their sequences
 * are unchanged); for an endpoint with a per-user pool (`byUser`), the user first and then each
 * placeholder, because the value depends on whose pool it comes from.
 *
 * A pooled value drawn for the preferred user must never be requested by another one (that user may
 * not be enrolled there). The engine may send a request with another idle user when the preferred one
 * is busy, so it asks `urlFor(user)` for the user actually taken: the same draws (kept as fractions)
 * mapped into that user's pools, without touching the PRNG, so the sequence stays reproducible.
 *
 * The PRNG is `Prng` (sfc32 seeded through splitmix32) from src/util/random.ts.
 */
import { Prng } from "../util/random.ts";

/** A seed for runs that did not ask for one: printed and stored so the run can be repeated. */
export function randomSeed(): number {
  return crypto.getRandomValues(new Uint32Array(1))[0];
}

/** One placeholder's values: a range, a fixed list, or one list per user. */
export interface ParamSpec {
  /** Range: min + floor(u × span) (unused when `values` or `byUser` is set). */
  min: number;
  span: number;
  /** The same list for every user: values[floor(u × length)]. */
  values?: readonly string[];
  /** One non-empty list per picker user (index = user): byUser[user][floor(u × length)]. */
  byUser?: readonly (readonly string[])[];
}

export interface EndpointSpec {
  name: string;
  path: string;
  weight: number;
  expect?: readonly number[];
  /** Literal pieces around the placeholders: parts.length = params.length + 1. */
  parts: string[];
  params: ParamSpec[];
}

/** A placeholder's value for `user` from a draw `f` in [0, 1) (a range, a list, or that user's pool). */
export function paramValue(param: ParamSpec, user: number, f: number): string | number {
  const list = param.byUser ? param.byUser[user] : param.values;
  return list ? list[Math.floor(f * list.length)] : param.min + Math.floor(f * param.span);
}

function isPerUser(endpoint: EndpointSpec): boolean {
  return endpoint.params.some((p) => p.byUser !== undefined);
}

/**
 * What the dispatcher reads from a picker (engine.ts): `TargetPicker` draws the whole run's sequence,
 * `ShardedPicker` (shard.ts) keeps one shard's stripe of it.
 */
export interface RequestPicker {
  readonly endpoints: readonly EndpointSpec[];
  /** Users the picker hands out (indices 0…users-1 into the engine's users). */
  readonly users: number;
  /** The current request: endpoint index, preferred user. */
  readonly endpoint: number;
  readonly user: number;
  /** Draw the next request. */
  next(): void;
  /** The current request's URL when `user` sends it. */
  urlFor(user: number): string;
}

/** Draws one request at a time into its own fields (no object per request). */
export class TargetPicker implements RequestPicker {
  readonly endpoints: readonly EndpointSpec[];
  /** Cumulative weights normalised to 1. */
  private readonly cumulative: Float64Array;
  private readonly perUser: boolean[];
  /** The current request's placeholder draws in [0, 1), so urlFor can map them into another user's pools. */
  private readonly fractions: Float64Array;
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
    this.perUser = endpoints.map(isPerUser);
    for (const e of endpoints) {
      for (const p of e.params) {
        if (p.byUser && (p.byUser.length !== users || p.byUser.some((list) => list.length === 0))) {
          throw new Error(
            `${e.name}: a per-user pool needs one non-empty list for each of the ${users} users`,
          );
        }
        if (p.values && p.values.length === 0) throw new Error(`${e.name}: an empty value list`);
      }
    }
    this.fractions = new Float64Array(Math.max(0, ...endpoints.map((e) => e.params.length)));
    this.prng = new Prng(seed);
  }

  next(): void {
    const prng = this.prng;
    const u = prng.nextFloat();
    const cumulative = this.cumulative;
    let k = 0;
    while (u >= cumulative[k]) k++;
    this.endpoint = k;
    const e = this.endpoints[k];
    const fractions = this.fractions;
    if (this.perUser[k]) {
      this.user = Math.floor(prng.nextFloat() * this.users);
      for (let p = 0; p < e.params.length; p++) fractions[p] = prng.nextFloat();
    } else {
      for (let p = 0; p < e.params.length; p++) fractions[p] = prng.nextFloat();
      this.user = Math.floor(prng.nextFloat() * this.users);
    }
    this.url = this.build(e, this.user);
  }

  /** The current request's URL for `user`: `url` itself unless a per-user pool makes it differ. */
  urlFor(user: number): string {
    if (user === this.user || !this.perUser[this.endpoint]) return this.url;
    return this.build(this.endpoints[this.endpoint], user);
  }

  private build(e: EndpointSpec, user: number): string {
    let url = e.parts[0];
    for (let p = 0; p < e.params.length; p++) {
      url += paramValue(e.params[p], user, this.fractions[p]) + e.parts[p + 1];
    }
    return url;
  }
}
