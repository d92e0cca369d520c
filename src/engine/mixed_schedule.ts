/**
 * Urls at --rpm and journeys at --ipm as ONE open-model schedule (src/journey/mix.ts decides when).
 *
 * The run's curve is the sum rpm + ipm (shaped by a profile, if any). The urls are their own stream
 * at the fraction f = rpm / (rpm + ipm) of it and the journeys the rest: url i is due where the area
 * under the curve reaches i / f, journey k where it reaches k / (1 − f). With a constant rate that is
 * exactly t = i / rpm and t = k / ipm, each stream as if it ran alone. The two streams are merged
 * in time order (a url first when both are due at once): item n of the run is url or journey by that
 * order, never by a random draw, so the journey count is exactly what --ipm asks for.
 */
import type { PacedSchedule, Schedule } from "./schedule.ts";
import type { EndpointSpec, RequestPicker } from "./targets.ts";

/** Ceil that ignores float noise (as schedule.ts counts). */
function ceilCount(x: number): number {
  if (x <= 0) return 0;
  return Math.max(0, Math.ceil(x - 1e-9 * Math.max(1, x)));
}

export class MixedSchedule implements PacedSchedule {
  readonly totalCount: number;
  readonly durationSec: number;
  readonly urlCount: number;
  readonly journeyCount: number;
  private readonly f: number;

  /** `urlShare` in (0, 1): the urls' part of the curve. */
  constructor(readonly total: Schedule, urlShare: number) {
    if (!(urlShare > 0 && urlShare < 1)) throw new RangeError(`url share ${urlShare} not in (0, 1)`);
    this.f = urlShare;
    const area = total.areaUntil(total.durationSec);
    this.urlCount = ceilCount(area * urlShare);
    this.journeyCount = ceilCount(area * (1 - urlShare));
    this.totalCount = this.urlCount + this.journeyCount;
    this.durationSec = total.durationSec;
  }

  /** Run index of url i: the urls before it, and the journeys due strictly before it. */
  private urlIndex(i: number): number {
    return i + ceilCount((i / this.f) * (1 - this.f));
  }

  /** Run index of journey k: the journeys before it, and the urls due at or before it. */
  private journeyIndex(k: number): number {
    return k + Math.floor((k / (1 - this.f)) * this.f + 1e-9) + 1;
  }

  /** Item n of the run: url i (kind "url") or journey k, or undefined past the end. */
  itemOf(n: number): { kind: "url" | "journey"; index: number } | undefined {
    if (!(n >= 0 && n < this.totalCount)) return undefined;
    const guessUrl = Math.floor(n * this.f);
    for (let i = Math.max(0, guessUrl - 3); i <= guessUrl + 3 && i < this.urlCount; i++) {
      if (this.urlIndex(i) === n) return { kind: "url", index: i };
    }
    const guessJourney = n - guessUrl;
    for (let k = Math.max(0, guessJourney - 3); k <= guessJourney + 3 && k < this.journeyCount; k++) {
      if (this.journeyIndex(k) === n) return { kind: "journey", index: k };
    }
    return undefined;
  }

  timeOf(n: number): number {
    if (n < 0) return NaN;
    const item = this.itemOf(n);
    if (!item) return Infinity;
    const area = item.kind === "url" ? item.index / this.f : item.index / (1 - this.f);
    return this.total.timeAtArea(area);
  }

  countBefore(t: number): number {
    const area = this.total.areaUntil(t);
    let count = Math.min(this.urlCount, ceilCount(area * this.f)) +
      Math.min(this.journeyCount, ceilCount(area * (1 - this.f)));
    // Float noise at the edges (and a curve starting at rate 0): the items due before t are counted.
    while (count < this.totalCount && this.timeOf(count) < t) count++;
    return count;
  }

  meanRate(from?: number, to?: number): number {
    return this.total.meanRate(from, to);
  }
}

/**
 * The picker of a mixed run: item n takes the next draw of the url picker or of the journey picker,
 * as the mixed schedule orders them. Endpoint indices: the urls' one-step journeys first, then the
 * journeys. Each sub-picker draws its own seeded sequence, so the same seed gives the same run.
 */
export class MixedPicker implements RequestPicker {
  readonly endpoints: readonly EndpointSpec[];
  readonly users: number;
  endpoint = 0;
  user = 0;
  private n = -1;
  private current: RequestPicker;

  constructor(
    private readonly schedule: MixedSchedule,
    private readonly urls: RequestPicker,
    private readonly journeys: RequestPicker,
  ) {
    if (urls.users !== journeys.users) throw new Error("url and journey pickers disagree on users");
    this.endpoints = [...urls.endpoints, ...journeys.endpoints];
    this.users = urls.users;
    this.current = urls;
  }

  /** Draw item n + 1 (the engine calls it once before the first item, as for any picker). */
  next(): void {
    const item = this.schedule.itemOf(++this.n);
    const url = item?.kind !== "journey";
    this.current = url ? this.urls : this.journeys;
    this.current.next();
    this.endpoint = this.current.endpoint + (url ? 0 : this.urls.endpoints.length);
    this.user = this.current.user;
  }

  urlFor(user: number): string {
    return this.current.urlFor(user);
  }
}
