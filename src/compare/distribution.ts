/**
 * A latency distribution read from a serialized HDR histogram (values in microseconds, as the run
 * summary stores them): distinct values in ms with cumulative counts, for exact quantiles by rank.
 */
import * as hdr from "hdr-histogram-js";

export interface Distribution {
  /** Number of recorded values. */
  readonly total: number;
  /** Distinct values (ms), ascending. */
  readonly values: Float64Array;
  /** cumulative[i] = number of recorded values ≤ values[i]. */
  readonly cumulative: Float64Array;
}

export const EMPTY_DISTRIBUTION: Distribution = {
  total: 0,
  values: new Float64Array(0),
  cumulative: new Float64Array(0),
};

/** Decode `encodeIntoCompressedBase64` output; throws a plain Error on garbage. */
export function decodeDistribution(base64: string | undefined): Distribution {
  if (!base64) return EMPTY_DISTRIBUTION;
  const histogram = hdr.decodeFromCompressedBase64(base64);
  try {
    if (histogram.totalCount === 0) return EMPTY_DISTRIBUTION;
    if (!(histogram instanceof hdr.JsHistogram)) throw new Error("expected a JS histogram");
    const values: number[] = [];
    const cumulative: number[] = [];
    const iterator = histogram.recordedValuesIterator;
    iterator.reset();
    while (iterator.hasNext()) {
      const step = iterator.next();
      values.push(histogram.highestEquivalentValue(step.valueIteratedTo) / 1000);
      cumulative.push(step.totalCountToThisValue);
    }
    return {
      total: histogram.totalCount,
      values: Float64Array.from(values),
      cumulative: Float64Array.from(cumulative),
    };
  } finally {
    histogram.destroy();
  }
}

/** The value of the rank-th smallest recording (1-based), clamped to [1, total]. */
export function valueAtRank(distribution: Distribution, rank: number): number {
  const { total, values, cumulative } = distribution;
  if (total === 0) return NaN;
  const wanted = Math.min(total, Math.max(1, Math.ceil(rank)));
  let low = 0;
  let high = values.length - 1;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (cumulative[mid] >= wanted) high = mid;
    else low = mid + 1;
  }
  return values[low];
}

/** Empirical quantile, q in [0, 1]: the value at rank ceil(q·n) (HDR's convention). */
export function quantile(distribution: Distribution, q: number): number {
  return valueAtRank(distribution, Math.ceil(q * distribution.total));
}

export function mean(distribution: Distribution): number {
  const { total, values, cumulative } = distribution;
  if (total === 0) return NaN;
  let sum = 0;
  let previous = 0;
  for (let i = 0; i < values.length; i++) {
    sum += values[i] * (cumulative[i] - previous);
    previous = cumulative[i];
  }
  return sum / total;
}
