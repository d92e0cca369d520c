/**
 * What each request asks for: endpoint (weighted mix), URL (template placeholders filled from their
 * inclusive ranges) and preferred virtual user, all drawn from one seeded PRNG in a fixed order
 * (endpoint, then each placeholder left to right, then the user). The same seed gives the same
 * sequence of URLs and users.
 *
 * The PRNG is `Prng` (sfc32 seeded through splitmix32) from src/util/random.ts.
 */
import { Prng } from "../util/random.ts";

/** A seed for runs that did not ask for one: printed and stored so the run can be repeated. */
export function randomSeed(): number {
  return crypto.getRandomValues(new Uint32Array(1))[0];
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
