/**
 * A body kept as the chunks it arrived in (body.ts keeps references, never copies): find an ASCII
 * marker in them and copy out only a small window around it. Joining a 200 KB page's chunks and
 * decoding it to a string to call `lastIndexOf` cost more CPU than the fetch itself (measured in
 * scripts/bench_load.ts). Searching back from the end (the perf footer, ~108 KB before the end of a
 * Moodle 4.3 page) is a Boyer-Moore-Horspool loop that reads one byte pair per step of up to a
 * needle length and allocates nothing: 44 µs for a real 195 KB course page, where decoding and
 * `String.lastIndexOf` took ~110 µs and a native byte `lastIndexOf` alone ~67 µs (loaded machine).
 *
 * Offsets are positions in the chunks' concatenation. A match that straddles chunks is found
 * through a small "seam" copy around each boundary (at most 2 × needle length bytes).
 */

/** An ASCII needle with its skip tables for searching forwards and backwards. */
export class BytePattern {
  readonly bytes: Uint8Array;
  /**
   * Backward: shift when the window's first two bytes are c, c2, by `pairSlot(c, c2)`: 4 KB, so it
   * stays in the L1 cache (a 64 KB table indexed by both bytes was slower). Pairs sharing a slot
   * keep the smaller shift, which is always safe.
   */
  readonly #backward2 = new Uint8Array(4096);

  constructor(readonly text: string) {
    this.bytes = new TextEncoder().encode(text);
    const n = this.bytes.length;
    if (n === 0 || n > 255) throw new Error("BytePattern: needle of 1 to 255 bytes");
    // Moving the window back by d puts needle[d], needle[d + 1] where the first two bytes are; the
    // smallest such d ≥ 1 is the safe shift. d = n - 1 leaves only the first byte inside the needle.
    this.#backward2.fill(n);
    for (let c2 = 0; c2 < 256; c2++) this.#backward2[pairSlot(this.bytes[n - 1], c2)] = n - 1;
    for (let d = n - 2; d >= 1; d--) {
      const slot = pairSlot(this.bytes[d], this.bytes[d + 1]);
      this.#backward2[slot] = Math.min(this.#backward2[slot], d);
    }
  }

  get length(): number {
    return this.bytes.length;
  }

  /**
   * First match starting in `[from, end - length]` of one array, or -1. The native `indexOf` finds
   * each candidate's first byte (for `<body` in a page's head: 3× faster than a skip loop here).
   */
  indexIn(haystack: Uint8Array, from = 0, end = haystack.length): number {
    const needle = this.bytes;
    const n = needle.length;
    const stop = Math.min(end, haystack.length) - n;
    for (let s = haystack.indexOf(needle[0], Math.max(0, from)); s >= 0 && s <= stop;) {
      let k = 1;
      while (k < n && haystack[s + k] === needle[k]) k++;
      if (k === n) return s;
      s = haystack.indexOf(needle[0], s + 1);
    }
    return -1;
  }

  /**
   * Last match lying wholly in `[from, end)` of one array, or -1. The skip is read from the window's
   * first two bytes: with one byte, the needle's own letters (e, r, o, n… of "performanceinfo", the
   * commonest in HTML and JavaScript) allow shifts of 1–4 only; pairs of them are much rarer.
   */
  lastIndexIn(haystack: Uint8Array, from = 0, end = haystack.length): number {
    const needle = this.bytes;
    const skip = this.#backward2;
    const n = needle.length;
    const first = needle[0];
    let s = Math.min(end, haystack.length) - n;
    while (s >= from) {
      const c = haystack[s];
      if (c === first) {
        let k = 1;
        while (k < n && haystack[s + k] === needle[k]) k++;
        if (k === n) return s;
      }
      s -= n > 1 ? skip[((c << 5) ^ haystack[s + 1]) & 4095] : 1;
    }
    return -1;
  }
}

/** The skip-table slot of a byte pair (see BytePattern's backward table). */
function pairSlot(c: number, c2: number): number {
  return ((c << 5) ^ c2) & 4095;
}

/** Total bytes of the chunks. */
export function chunksLength(chunks: readonly Uint8Array[]): number {
  let total = 0;
  for (const chunk of chunks) total += chunk.byteLength;
  return total;
}

/** Bytes `[start, end)` of the chunks: a view when they lie in one chunk, else a copy. */
export function sliceChunks(chunks: readonly Uint8Array[], start: number, end: number): Uint8Array {
  return sliceFrom(chunks, 0, 0, start, end);
}

/** `sliceChunks` starting the walk at chunk `index`, which begins at offset `at` (≤ `start`). */
function sliceFrom(
  chunks: readonly Uint8Array[],
  index: number,
  at: number,
  start: number,
  end: number,
): Uint8Array {
  const pieces: Uint8Array[] = [];
  let size = 0;
  for (let i = index; i < chunks.length && at < end; i++) {
    const chunk = chunks[i];
    const chunkEnd = at + chunk.byteLength;
    if (chunkEnd > start) {
      const piece = chunk.subarray(Math.max(0, start - at), Math.min(chunk.byteLength, end - at));
      pieces.push(piece);
      size += piece.byteLength;
    }
    at = chunkEnd;
  }
  if (pieces.length === 1) return pieces[0];
  const out = new Uint8Array(size);
  let filled = 0;
  for (const piece of pieces) {
    out.set(piece, filled);
    filled += piece.byteLength;
  }
  return out;
}

/**
 * The bytes around the boundary at the end of chunk `index` (which begins at `at`): from
 * `seamStart` (≥ boundary − needle + 1) to `end`. Walks back over chunks shorter than the needle.
 */
function seam(
  chunks: readonly Uint8Array[],
  index: number,
  at: number,
  seamStart: number,
  end: number,
): Uint8Array {
  while (index > 0 && at > seamStart) at -= chunks[--index].byteLength;
  return sliceFrom(chunks, index, at, seamStart, end);
}

/** First match of `pattern` starting at or after `from` and ending by `end`, or -1. */
export function indexOfChunks(
  chunks: readonly Uint8Array[],
  pattern: BytePattern,
  from = 0,
  end = Infinity,
): number {
  const n = pattern.length;
  let at = 0;
  for (let i = 0; i < chunks.length && at < end; i++) {
    const chunk = chunks[i];
    const chunkEnd = at + chunk.byteLength;
    if (chunkEnd > from) {
      const found = pattern.indexIn(chunk, Math.max(0, from - at), Math.min(chunk.byteLength, end - at));
      if (found >= 0) return at + found;
      if (i + 1 < chunks.length && n > 1 && chunkEnd < end) {
        const seamStart = Math.max(from, chunkEnd - n + 1);
        const bytes = seam(chunks, i, at, seamStart, Math.min(end, chunkEnd + n - 1));
        const inSeam = pattern.indexIn(bytes);
        if (inSeam >= 0 && seamStart + inSeam < chunkEnd) return seamStart + inSeam;
      }
    }
    at = chunkEnd;
  }
  return -1;
}

/** Last match of `pattern` lying wholly in `[from, end)` (end defaults to the chunks' end), or -1. */
export function lastIndexOfChunks(
  chunks: readonly Uint8Array[],
  pattern: BytePattern,
  from = 0,
  end = Infinity,
): number {
  const n = pattern.length;
  let chunkEnd = chunksLength(chunks);
  for (let i = chunks.length - 1; i >= 0 && chunkEnd > from; i--) {
    const chunk = chunks[i];
    const at = chunkEnd - chunk.byteLength;
    if (i + 1 < chunks.length && n > 1 && chunkEnd < end) {
      // Matches starting in this chunk and ending in a later one.
      const seamStart = Math.max(from, chunkEnd - n + 1);
      const bytes = seam(chunks, i, at, seamStart, Math.min(end, chunkEnd + n - 1));
      const inSeam = pattern.lastIndexIn(bytes);
      if (inSeam >= 0 && seamStart + inSeam < chunkEnd) return seamStart + inSeam;
    }
    if (at < end) {
      const found = pattern.lastIndexIn(chunk, Math.max(0, from - at), Math.min(chunk.byteLength, end - at));
      if (found >= 0) return at + found;
    }
    chunkEnd = at;
  }
  return -1;
}
