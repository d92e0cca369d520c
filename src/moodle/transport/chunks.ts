/**
 * A body kept as the chunks it arrived in (body.ts keeps references, never copies): find an ASCII
 * marker in them and copy out only a small window around it. Joining a 200 KB page's chunks and
 * decoding it to a string to call `lastIndexOf` cost more CPU than the fetch itself (measured in
 * scripts/bench_load.ts); a Boyer-Moore-Horspool search over the bytes reads a few bytes per
 * needle length and allocates nothing.
 *
 * Offsets are positions in the chunks' concatenation. A match that straddles chunks is found
 * through a small "seam" copy around each boundary (at most 2 × needle length bytes).
 */

/** An ASCII needle with its skip tables for searching forwards and backwards. */
export class BytePattern {
  readonly bytes: Uint8Array;
  /** Forward: shift when the window's last byte is c. */
  readonly #forward = new Int32Array(256);
  /** Backward: shift when the window's first byte is c. */
  readonly #backward = new Int32Array(256);

  constructor(readonly text: string) {
    this.bytes = new TextEncoder().encode(text);
    const n = this.bytes.length;
    if (n === 0) throw new Error("BytePattern: empty needle");
    this.#forward.fill(n);
    this.#backward.fill(n);
    for (let i = 0; i < n - 1; i++) this.#forward[this.bytes[i]] = n - 1 - i;
    for (let d = n - 1; d >= 1; d--) this.#backward[this.bytes[d]] = d;
  }

  get length(): number {
    return this.bytes.length;
  }

  /** First match starting in `[from, end - length]` of one array, or -1. */
  indexIn(haystack: Uint8Array, from = 0, end = haystack.length): number {
    const needle = this.bytes;
    const skip = this.#forward;
    const n = needle.length;
    const last = n - 1;
    for (let s = Math.max(0, from); s + n <= end;) {
      const c = haystack[s + last];
      if (c === needle[last]) {
        let k = 0;
        while (k < last && haystack[s + k] === needle[k]) k++;
        if (k === last) return s;
      }
      s += skip[c];
    }
    return -1;
  }

  /** Last match lying wholly in `[from, end)` of one array, or -1. */
  lastIndexIn(haystack: Uint8Array, from = 0, end = haystack.length): number {
    const needle = this.bytes;
    const skip = this.#backward;
    const n = needle.length;
    for (let s = Math.min(end, haystack.length) - n; s >= from;) {
      const c = haystack[s];
      if (c === needle[0]) {
        let k = 1;
        while (k < n && haystack[s + k] === needle[k]) k++;
        if (k === n) return s;
      }
      s -= skip[c];
    }
    return -1;
  }
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
