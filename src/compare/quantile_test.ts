/**
 * The exact test behind compare's latency verdicts (docs/compare.md, "The method"): the Brown–Mood
 * quantile test. Pool both runs, take the pooled q-quantile, count each run's requests above it,
 * and ask Fisher's exact (hypergeometric) question: if both runs came from the same distribution,
 * how likely is a split of the "slow" requests at least this lopsided? Exact for any sample size
 * (no normal approximation, no resampling), so it is valid for 160 requests as for 1 000 000, and
 * it says in advance (`pMin`) whether the two sample sizes could show a change at all. Pure.
 */
import type { Distribution } from "./distribution.ts";

/** Lanczos (g = 7, 9 terms) log-gamma; relative error ~1e-15, enough for binomial coefficients. */
const LANCZOS = [
  0.99999999999980993,
  676.5203681218851,
  -1259.1392167224028,
  771.32342877765313,
  -176.61502916214059,
  12.507343278686905,
  -0.13857109526572012,
  9.9843695780195716e-6,
  1.5056327351493116e-7,
];

export function lnGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - lnGamma(1 - x);
  const z = x - 1;
  let sum = LANCZOS[0];
  for (let i = 1; i < LANCZOS.length; i++) sum += LANCZOS[i] / (z + i);
  const t = z + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(sum);
}

function lnChoose(n: number, k: number): number {
  return lnGamma(n + 1) - lnGamma(k + 1) - lnGamma(n - k + 1);
}

/**
 * Hypergeometric law of X = how many of `successes` marked items fall among `draws` items taken
 * from `population` (here: how many of the requests above the pooled quantile are the candidate's).
 */
export interface Hypergeometric {
  population: number;
  successes: number;
  draws: number;
}

function support(h: Hypergeometric): [number, number] {
  return [Math.max(0, h.draws - (h.population - h.successes)), Math.min(h.successes, h.draws)];
}

export function hypergeometricPmf(h: Hypergeometric, x: number): number {
  const [low, high] = support(h);
  if (x < low || x > high) return 0;
  return Math.exp(
    lnChoose(h.successes, x) + lnChoose(h.population - h.successes, h.draws - x) -
      lnChoose(h.population, h.draws),
  );
}

/**
 * P(X ≥ x) (upper) or P(X ≤ x), summed from x outwards with the pmf recurrence; stops once the
 * terms no longer change the sum (they fall geometrically past the mode).
 */
export function hypergeometricTail(h: Hypergeometric, x: number, upper: boolean): number {
  const [low, high] = support(h);
  if (upper ? x <= low : x >= high) return 1;
  if (upper ? x > high : x < low) return 0;
  const { population: n, successes: m, draws: d } = h;
  let term = hypergeometricPmf(h, x);
  let sum = term;
  for (let k = x; upper ? k < high : k > low; k += upper ? 1 : -1) {
    // pmf(k+1)/pmf(k) = (m−k)(d−k) / ((k+1)(n−m−d+k+1)), and its inverse going down.
    term *= upper
      ? ((m - k) * (d - k)) / ((k + 1) * (n - m - d + k + 1))
      : (k * (n - m - d + k)) / ((m - k + 1) * (d - k + 1));
    sum += term;
    if (term < sum * 1e-17) break;
  }
  return Math.min(1, sum);
}

/** Number of recorded values ≤ value. */
export function countAtMost(distribution: Distribution, value: number): number {
  const { values, cumulative } = distribution;
  let low = 0;
  let high = values.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (values[mid] <= value) low = mid + 1;
    else high = mid;
  }
  return low === 0 ? 0 : cumulative[low - 1];
}

/** The rank-th smallest value (1-based) of the two distributions pooled. */
export function pooledValueAtRank(a: Distribution, b: Distribution, rank: number): number {
  // The answer is a value of a or of b: search each one's values for the smallest with ≥ rank pooled below.
  let best = Infinity;
  for (const d of [a, b]) {
    let low = 0;
    let high = d.values.length - 1;
    if (high < 0 || countAtMost(a, d.values[high]) + countAtMost(b, d.values[high]) < rank) continue;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (countAtMost(a, d.values[mid]) + countAtMost(b, d.values[mid]) >= rank) high = mid;
      else low = mid + 1;
    }
    best = Math.min(best, d.values[low]);
  }
  return best;
}

export interface QuantileTest {
  /** Pooled q-quantile (ms): the requests above it are "slow". */
  thresholdMs: number;
  baseAbove: number;
  candidateAbove: number;
  /** Two-sided exact p-value of "both runs have the same distribution" (doubled smaller tail). */
  p: number;
  /** The smallest p these sample sizes can give (every slow request in one run). */
  pMin: number;
  /** +1 when the candidate has more than its share of the slow requests, −1 fewer, 0 exactly its share. */
  direction: number;
}

function twoSided(h: Hypergeometric, x: number): number {
  return Math.min(1, 2 * Math.min(hypergeometricTail(h, x, true), hypergeometricTail(h, x, false)));
}

export function quantileTest(base: Distribution, candidate: Distribution, q: number): QuantileTest {
  const population = base.total + candidate.total;
  const thresholdMs = pooledValueAtRank(base, candidate, Math.max(1, Math.ceil(q * population)));
  const baseAbove = base.total - countAtMost(base, thresholdMs);
  const candidateAbove = candidate.total - countAtMost(candidate, thresholdMs);
  const h: Hypergeometric = { population, successes: baseAbove + candidateAbove, draws: candidate.total };
  const [low, high] = support(h);
  const expected = h.successes * h.draws / population;
  return {
    thresholdMs,
    baseAbove,
    candidateAbove,
    p: twoSided(h, candidateAbove),
    pMin: h.successes === 0 ? 1 : Math.min(twoSided(h, low), twoSided(h, high)),
    direction: Math.sign(candidateAbove - expected),
  };
}

/**
 * The smallest p the test can give with n requests in each run and no ties: 2·C(n, m)/C(2n, m),
 * m = 2n − ⌈q·2n⌉ requests above the pooled quantile, all in one run.
 */
export function minimumP(requestsPerRun: number, q: number): number {
  const n = requestsPerRun;
  const m = 2 * n - Math.ceil(q * 2 * n - 1e-9);
  if (m <= 0) return 1;
  return Math.min(1, 2 * hypergeometricPmf({ population: 2 * n, successes: m, draws: n }, Math.min(m, n)));
}

/**
 * Requests each run needs before a q-quantile can be judged at level `alpha` among `tests` tests
 * (the smallest n with tests × minimumP(n) < alpha). Scans upwards: minimumP is not monotone in n
 * (m jumps by whole requests), and the first n that works is the honest answer.
 */
export function requestsNeeded(q: number, tests: number, alpha: number): number {
  for (let n = 1; n <= 10_000_000; n++) {
    if (tests * minimumP(n, q) < alpha) return n;
  }
  return Infinity;
}
