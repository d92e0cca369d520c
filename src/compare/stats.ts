/**
 * The statistics behind `compare` (see docs/compare.md): bootstrap confidence intervals for a ratio
 * of quantiles drawn straight from HDR histograms, Mann–Whitney U over per-interval samples, and
 * tests for error rates and request rates. Pure functions, seeded randomness.
 */
import { seededRandom } from "../util/random.ts";
import { beta } from "./random.ts";
import { type Distribution, quantile } from "./distribution.ts";

/** Standard normal CDF (Abramowitz & Stegun 7.1.26 erf, |error| < 1.5e-7). */
export function normalCdf(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const poly = t *
    (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  const erf = 1 - poly * Math.exp(-x * x);
  return z >= 0 ? 0.5 * (1 + erf) : 0.5 * (1 - erf);
}

/** Two-sided p-value of a z statistic. */
export function twoSidedP(z: number): number {
  return Number.isFinite(z) ? 2 * (1 - normalCdf(Math.abs(z))) : 0;
}

export interface RatioInterval {
  /** Point estimate: candidate / base. */
  ratio: number;
  low: number;
  high: number;
  /**
   * Two-sided p-value of "no change", from the bootstrap distribution of the log ratio taken as
   * normal (so it can be small enough for a multiple-comparison correction without millions of
   * resamples).
   */
  p: number;
}

/**
 * Sample of the bootstrap distribution of the q-quantile of a resample of size n, exactly: the
 * k-th order statistic (k = ceil(q·n)) of n draws from the empirical distribution is the empirical
 * inverse CDF at the k-th order statistic of n uniforms, which is Beta(k, n − k + 1). So one Beta
 * draw replaces resampling n values, whatever n is.
 */
export function bootstrapQuantile(distribution: Distribution, q: number, random: () => number): number {
  const n = distribution.total;
  const k = Math.min(n, Math.max(1, Math.ceil(q * n)));
  const u = beta(k, n - k + 1, random);
  return quantile(distribution, u);
}

/**
 * Percentile-bootstrap confidence interval of quantile(cand, q) / quantile(base, q), each run
 * resampled independently from its own histogram.
 */
export function bootstrapQuantileRatio(
  base: Distribution,
  candidate: Distribution,
  q: number,
  options: { resamples?: number; confidence?: number; seed?: number } = {},
): RatioInterval {
  const resamples = options.resamples ?? 2000;
  const confidence = options.confidence ?? 0.95;
  const random = seededRandom(options.seed ?? 1);
  const ratios = new Float64Array(resamples);
  for (let i = 0; i < resamples; i++) {
    ratios[i] = bootstrapQuantile(candidate, q, random) / bootstrapQuantile(base, q, random);
  }
  ratios.sort();
  const tail = (1 - confidence) / 2;
  const at = (p: number) => ratios[Math.min(resamples - 1, Math.max(0, Math.floor(p * resamples)))];
  const ratio = quantile(candidate, q) / quantile(base, q);
  let sum = 0;
  let sumSquares = 0;
  for (const r of ratios) {
    const l = Math.log(r);
    sum += l;
    sumSquares += l * l;
  }
  const sd = Math.sqrt(Math.max(0, sumSquares / resamples - (sum / resamples) ** 2));
  const p = sd > 0 ? twoSidedP(Math.log(ratio) / sd) : ratio === 1 ? 1 : 0;
  return { ratio, low: at(tail), high: at(1 - tail), p };
}

export interface TestResult {
  /** Two-sided p-value. */
  p: number;
  /** Test statistic (z for the normal approximations). */
  z: number;
}

/**
 * Mann–Whitney U (two-sided, normal approximation with tie correction and continuity correction).
 * z > 0 when `candidate` tends to be larger than `base`.
 */
export function mannWhitneyU(
  base: readonly number[],
  candidate: readonly number[],
): TestResult & { u: number } {
  const n1 = base.length;
  const n2 = candidate.length;
  if (n1 === 0 || n2 === 0) return { u: NaN, z: 0, p: 1 };
  const all = [...base.map((v) => ({ v, c: false })), ...candidate.map((v) => ({ v, c: true }))]
    .sort((a, b) => a.v - b.v);
  const ranks = new Float64Array(all.length);
  let tieTerm = 0;
  for (let i = 0; i < all.length;) {
    let j = i;
    while (j + 1 < all.length && all[j + 1].v === all[i].v) j++;
    const rank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) ranks[k] = rank;
    const t = j - i + 1;
    tieTerm += t * t * t - t;
    i = j + 1;
  }
  let rankSumCandidate = 0;
  all.forEach((entry, index) => {
    if (entry.c) rankSumCandidate += ranks[index];
  });
  const u = rankSumCandidate - (n2 * (n2 + 1)) / 2;
  const mu = (n1 * n2) / 2;
  const n = n1 + n2;
  const variance = (n1 * n2 / 12) * ((n + 1) - tieTerm / (n * (n - 1)));
  if (variance <= 0) return { u, z: 0, p: 1 };
  const diff = u - mu;
  const z = (Math.sign(diff) * Math.max(0, Math.abs(diff) - 0.5)) / Math.sqrt(variance);
  return { u, z, p: twoSidedP(z) };
}

/** Two-proportion z-test (pooled); z > 0 when the candidate's proportion is higher. */
export function twoProportionTest(
  baseEvents: number,
  baseTotal: number,
  candidateEvents: number,
  candidateTotal: number,
): TestResult {
  if (baseTotal === 0 || candidateTotal === 0) return { z: 0, p: 1 };
  const p1 = baseEvents / baseTotal;
  const p2 = candidateEvents / candidateTotal;
  const pooled = (baseEvents + candidateEvents) / (baseTotal + candidateTotal);
  const se = Math.sqrt(pooled * (1 - pooled) * (1 / baseTotal + 1 / candidateTotal));
  if (se === 0) return { z: 0, p: 1 };
  const z = (p2 - p1) / se;
  return { z, p: twoSidedP(z) };
}

/**
 * Poisson rate-ratio test on counts over exposures (log rate ratio, SE √(1/a + 1/b)).
 * z > 0 when the candidate's rate is higher.
 */
export function rateRatioTest(
  baseCount: number,
  baseExposure: number,
  candidateCount: number,
  candidateExposure: number,
): TestResult & { ratio: number } {
  if (baseCount === 0 || candidateCount === 0 || baseExposure <= 0 || candidateExposure <= 0) {
    const ratio = baseCount === 0 ? (candidateCount === 0 ? 1 : Infinity) : 0;
    return { ratio, z: 0, p: 1 };
  }
  const ratio = (candidateCount / candidateExposure) / (baseCount / baseExposure);
  const z = Math.log(ratio) / Math.sqrt(1 / baseCount + 1 / candidateCount);
  return { ratio, z, p: twoSidedP(z) };
}

/**
 * Holm–Bonferroni: adjusted p-values controlling the chance of ANY false alarm across a family of
 * tests (here: every metric of every endpoint in one comparison). NaN entries stay NaN.
 */
export function holmAdjust(pValues: readonly number[]): number[] {
  const indexed = pValues.map((p, index) => ({ p, index })).filter((e) => Number.isFinite(e.p))
    .sort((a, b) => a.p - b.p);
  const m = indexed.length;
  const adjusted = pValues.map(() => NaN);
  let running = 0;
  indexed.forEach((entry, rank) => {
    running = Math.max(running, Math.min(1, (m - rank) * entry.p));
    adjusted[entry.index] = running;
  });
  return adjusted;
}
