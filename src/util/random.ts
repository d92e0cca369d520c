/**
 * The seeded PRNGs: the same seed gives the same sequence on every platform (no dependency).
 *
 * - `Prng` — sfc32 (Chris Doty-Humphrey's Small Fast Chaotic generator, 128-bit state, passes
 *   PractRand) seeded through splitmix32: the run's target sequence (src/engine/targets.ts).
 * - `seededRandom` — mulberry32 (32-bit state, fast): the bootstrap's resampling (src/compare) and
 *   the demo server's fault injection (src/demo/site.ts).
 *
 * Both are kept because a seed stored with a run, a compare verdict or a demo fault pattern must keep
 * giving what it gave: replacing either algorithm would change those results for the same seed.
 */

/** mulberry32: returns floats in [0, 1). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

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
