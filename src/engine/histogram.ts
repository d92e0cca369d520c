/**
 * HDR histograms of durations in MICROSECONDS (npm:hdr-histogram-js): bounded memory, exact merge
 * across intervals, endpoints, runs and shards. Serialized with `encodeIntoCompressedBase64`.
 */
import * as hdr from "hdr-histogram-js";

export type Histogram = hdr.Histogram;

/** One hour: longer values are clamped (a request timeout is far shorter). */
export const HIGHEST_US = 3_600_000_000;

export function newHistogram(): Histogram {
  return hdr.build({
    bitBucketSize: 32,
    autoResize: false,
    lowestDiscernibleValue: 1,
    highestTrackableValue: HIGHEST_US,
    numberOfSignificantValueDigits: 3,
  });
}

/** Record a duration in microseconds (rounded, clamped to [0, HIGHEST_US]). */
export function recordUs(histogram: Histogram, us: number): void {
  histogram.recordValue(us <= 0 ? 0 : us >= HIGHEST_US ? HIGHEST_US : Math.round(us));
}

/** Percentile in milliseconds (0 for an empty histogram), 3 decimals. */
export function percentileMs(histogram: Histogram, percentile: number): number {
  if (histogram.totalCount === 0) return 0;
  // HDR answers the top of the value's bucket: never report more than the largest value recorded.
  return round3(Math.min(histogram.getValueAtPercentile(percentile), histogram.maxValue) / 1000);
}

export function maxMs(histogram: Histogram): number {
  return histogram.totalCount === 0 ? 0 : round3(histogram.maxValue / 1000);
}

export function meanMs(histogram: Histogram): number {
  return histogram.totalCount === 0 ? 0 : round3(histogram.mean / 1000);
}

export function encodeHistogram(histogram: Histogram): string {
  return hdr.encodeIntoCompressedBase64(histogram);
}

export function round3(value: number): number {
  return Math.round(value * 1000) / 1000;
}

/** A summary's base64 histogram (encodeHistogram's output) as a histogram again: merges add them. */
export function decodeHistogram(encoded: string): Histogram {
  return hdr.decodeFromCompressedBase64(encoded, 32, false);
}

/**
 * How many recorded values are at or below each bound (µs, ascending): Prometheus' cumulative `le`
 * buckets from an HDR histogram, exact to its resolution (a value counts at the top of its HDR bucket,
 * so a bound inside one counts it as slower, never faster). One pass over the recorded values.
 */
export function countsAtOrBelow(histogram: Histogram, boundsUs: readonly number[]): number[] {
  const counts = boundsUs.map(() => 0);
  if (histogram.totalCount === 0) return counts;
  if (!(histogram instanceof hdr.JsHistogram)) throw new Error("countsAtOrBelow needs a JS histogram");
  const iterator = histogram.recordedValuesIterator;
  iterator.reset();
  while (iterator.hasNext()) {
    const step = iterator.next();
    for (let b = boundsUs.length - 1; b >= 0 && step.valueIteratedTo <= boundsUs[b]; b--) {
      counts[b] += step.countAtValueIteratedTo;
    }
  }
  return counts;
}
