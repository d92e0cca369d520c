/**
 * The schedule of a run: the intended start time of request i, a pure function of i (see "The timing
 * model" in docs/architecture.md). Rate is piecewise linear in time; request i starts where the area under the
 * rate curve reaches i, so t_0 = 0 and a constant rate r gives t_i = i / r. Nothing here reads a clock.
 *
 * Stage semantics follow k6's ramping-arrival-rate: each stage ramps linearly from the previous stage's
 * target (the first one from `startRpm`, default 0) to its own `rpm` over its `duration`. A segment may
 * also jump (start rate ≠ previous end rate): profiles use that for steps and spikes.
 */

/** One piece of the rate curve, rates in requests per second. */
export interface Segment {
  durationSec: number;
  startRate: number;
  endRate: number;
}

/** A config stage: ramp to `rpm` over `durationSec`. */
export interface Stage {
  durationSec: number;
  rpm: number;
}

/** Ceil that ignores float noise: 100.00000000001 requests are 100. */
function ceilCount(area: number): number {
  if (area <= 0) return 0;
  return Math.max(0, Math.ceil(area - 1e-9 * Math.max(1, area)));
}

/**
 * What the dispatcher and the progress intervals read from a schedule (engine.ts, intervals.ts):
 * `Schedule` is the whole run, `ShardedSchedule` (shard.ts) one shard's stripe of it.
 */
export interface PacedSchedule {
  /** Requests with t_i < durationSec: exactly the ones a complete run sends. */
  readonly totalCount: number;
  readonly durationSec: number;
  /** Intended start of request i (seconds since the run's start); Infinity past the end, NaN below 0. */
  timeOf(i: number): number;
  /** Number of requests intended before time t: those with t_i < t. */
  countBefore(t: number): number;
  /** Mean target rate (requests per second) over [from, to). */
  meanRate(from?: number, to?: number): number;
}

export class Schedule implements PacedSchedule {
  readonly segments: readonly Segment[];
  /** Start time of each segment (seconds since the run's start). */
  readonly starts: readonly number[];
  /** Area (requests) under the curve before each segment; one extra entry: the total area. */
  readonly areas: readonly number[];
  readonly durationSec: number;
  /** Requests with t_i < durationSec: exactly the ones a complete run sends. */
  readonly totalCount: number;
  private cursor = 0;

  constructor(segments: readonly Segment[]) {
    for (const s of segments) {
      if (!(s.durationSec >= 0) || !(s.startRate >= 0) || !(s.endRate >= 0)) {
        throw new RangeError(`invalid segment ${JSON.stringify(s)}`);
      }
    }
    this.segments = segments.filter((s) => s.durationSec > 0);
    const starts: number[] = [];
    const areas: number[] = [0];
    let t = 0;
    let area = 0;
    for (const s of this.segments) {
      starts.push(t);
      t += s.durationSec;
      area += (s.startRate + s.endRate) * s.durationSec / 2;
      areas.push(area);
    }
    this.starts = starts;
    this.areas = areas;
    this.durationSec = t;
    this.totalCount = ceilCount(area);
  }

  /** Intended start of request i in seconds since the run's start; Infinity when i is past the end. */
  timeOf(i: number): number {
    if (i >= this.totalCount || i < 0) return i < 0 ? NaN : Infinity;
    return this.timeAtArea(i);
  }

  /**
   * Where the area under the rate curve reaches `x` (requests, fractional allowed: mixed schedules
   * place two streams at fractional areas); Infinity past the curve's total area.
   */
  timeAtArea(area: number): number {
    const i = area;
    if (i > this.areas[this.segments.length]) return Infinity;
    if (i <= 0) return 0;
    const areas = this.areas;
    let k = this.cursor;
    // Requests are asked for in order almost always: stay on the cached segment when it holds i.
    if (!(areas[k] < i && i <= areas[k + 1])) {
      let lo = 0;
      let hi = this.segments.length - 1;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (areas[mid + 1] < i) lo = mid + 1;
        else hi = mid;
      }
      k = lo;
      this.cursor = k;
    }
    const s = this.segments[k];
    const x = i - areas[k];
    const a = s.startRate;
    const m = (s.endRate - a) / s.durationSec;
    // Solve a·τ + m·τ²/2 = x for τ ≥ 0. This form has no cancellation and covers m = 0 and a = 0.
    const tau = (2 * x) / (a + Math.sqrt(a * a + 2 * m * x));
    return this.starts[k] + Math.min(tau, s.durationSec);
  }

  /** Area under the rate curve from 0 to t (requests, fractional). */
  areaUntil(t: number): number {
    if (t <= 0) return 0;
    if (t >= this.durationSec) return this.areas[this.segments.length];
    const k = this.segmentAt(t);
    const s = this.segments[k];
    const tau = t - this.starts[k];
    const m = (s.endRate - s.startRate) / s.durationSec;
    return this.areas[k] + s.startRate * tau + m * tau * tau / 2;
  }

  /** Number of requests intended before time t: those with t_i < t. */
  countBefore(t: number): number {
    let count = Math.min(this.totalCount, ceilCount(this.areaUntil(t)));
    // After a zero-rate pause, the request the area reached before the pause is already due.
    while (count < this.totalCount && this.timeOf(count) < t) count++;
    return count;
  }

  /** Target rate (requests per second) at time t. */
  rateAt(t: number): number {
    if (t < 0 || t >= this.durationSec || this.segments.length === 0) return 0;
    const k = this.segmentAt(t);
    const s = this.segments[k];
    return s.startRate + (s.endRate - s.startRate) * (t - this.starts[k]) / s.durationSec;
  }

  /** Mean target rate over [from, to) in requests per second. */
  meanRate(from = 0, to = this.durationSec): number {
    return to > from ? (this.areaUntil(to) - this.areaUntil(from)) / (to - from) : 0;
  }

  /** How many requests each segment sends (t_i inside the segment); sums to totalCount. */
  countsPerSegment(): number[] {
    return this.segments.map((_, k) =>
      Math.min(this.totalCount, ceilCount(this.areas[k + 1])) -
      Math.min(this.totalCount, ceilCount(this.areas[k]))
    );
  }

  private segmentAt(t: number): number {
    let lo = 0;
    let hi = this.segments.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid] <= t) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }
}

export function constantSchedule(rpm: number, durationSec: number): Schedule {
  return new Schedule([{ durationSec, startRate: rpm / 60, endRate: rpm / 60 }]);
}

/** k6-style stages: each ramps linearly from the previous target (the first from `startRpm`). */
export function stagesToSegments(stages: readonly Stage[], startRpm = 0): Segment[] {
  let previous = startRpm;
  return stages.map((stage) => {
    const segment = { durationSec: stage.durationSec, startRate: previous / 60, endRate: stage.rpm / 60 };
    previous = stage.rpm;
    return segment;
  });
}

/** Cut a curve at `durationSec`, or hold its last rate until then when it is shorter. */
export function fitSegments(segments: readonly Segment[], durationSec: number): Segment[] {
  const out: Segment[] = [];
  let t = 0;
  for (const s of segments) {
    if (t >= durationSec) break;
    if (t + s.durationSec <= durationSec) out.push({ ...s });
    else {
      const keep = durationSec - t;
      out.push({
        durationSec: keep,
        startRate: s.startRate,
        endRate: s.startRate + (s.endRate - s.startRate) * keep / s.durationSec,
      });
    }
    t += s.durationSec;
  }
  if (t < durationSec) {
    const last = segments.at(-1)?.endRate ?? 0;
    out.push({ durationSec: durationSec - t, startRate: last, endRate: last });
  }
  return out;
}

/** A warm-up at a constant rate, then the measured curve. */
export function withWarmup(warmupSec: number, warmupRpm: number, measured: readonly Segment[]): Segment[] {
  if (warmupSec <= 0) return [...measured];
  return [{ durationSec: warmupSec, startRate: warmupRpm / 60, endRate: warmupRpm / 60 }, ...measured];
}

/** Named load shapes built from a base rate R (`--rpm`) and the run length D (`--duration`). */
export const PROFILES = {
  normal: "R constant for D: the everyday load",
  peak: "ramp R→2R over 20% of D, hold 2R for 60%, back to R over 20%: a busy hour",
  stress: "staircase R, 2R, 3R, 4R, a quarter of D each: where does latency bend?",
  spike: "R for 40% of D, jump to 5R for 20%, back to R for 40%: does the site recover?",
  endurance: "ramp 0→R over min(5% of D, 60 s), then hold R: a soak over hours (leaks, growth)",
  breaking: "linear ramp R→10R over D: find the rate where errors and latency break",
} as const;
export type ProfileName = keyof typeof PROFILES;

export function isProfileName(name: string): name is ProfileName {
  return Object.hasOwn(PROFILES, name);
}

export function profileSegments(name: ProfileName, rpm: number, durationSec: number): Segment[] {
  const r = rpm / 60;
  const d = durationSec;
  const flat = (fraction: number, rate: number): Segment => ({
    durationSec: d * fraction,
    startRate: rate,
    endRate: rate,
  });
  switch (name) {
    case "normal":
      return [flat(1, r)];
    case "peak":
      return [
        { durationSec: d * 0.2, startRate: r, endRate: 2 * r },
        flat(0.6, 2 * r),
        { durationSec: d * 0.2, startRate: 2 * r, endRate: r },
      ];
    case "stress":
      return [flat(0.25, r), flat(0.25, 2 * r), flat(0.25, 3 * r), flat(0.25, 4 * r)];
    case "spike":
      return [flat(0.4, r), flat(0.2, 5 * r), flat(0.4, r)];
    case "endurance": {
      const ramp = Math.min(d * 0.05, 60);
      return [{ durationSec: ramp, startRate: 0, endRate: r }, {
        durationSec: d - ramp,
        startRate: r,
        endRate: r,
      }];
    }
    case "breaking":
      return [{ durationSec: d, startRate: r, endRate: 10 * r }];
  }
}
