/**
 * The one body reader every transport uses: a response body is read as a stream of chunks, its
 * bytes counted, and only what the protocol side looks at is kept — the first 64 KB (Moodle's
 * detour markers, sesskey, login form sit there) and the last 256 KB (the perf footer) — unless a
 * caller asks for the whole body (the login form parser). A body longer than `maxBodyBytes` ends
 * the read with `BodyTooLargeError` and the stream is cancelled, so a 2 GiB page or an endless
 * chunked stream costs at most the limit, never the whole page.
 *
 * The chunks are kept as references, never copied or decoded: what the request path looks for (the
 * perf footer, the `<body` tag) is found by a byte search in them (chunks.ts), and only a few KB
 * around a match are decoded. `head` and `tail` are joined only when something asks for them.
 *
 * Why a `getReader()` loop: it streams (so the limit bounds memory) and, on a 200 KB page with 64
 * closed loops (scripts/bench_load.ts, "plain fetch + …", 2026-12-03), it cost 1.04× the CPU per
 * request of `arrayBuffer()` on a quiet machine (0.82× on a busy one), `bytes()` 1.06×, `pipeTo` a
 * counting WritableStream 1.21× — `arrayBuffer()` and `bytes()` join the chunks with no size limit. On a 2 KB page `bytes()` is cheaper (~0.55× the reader's
 * CPU: Deno gives every `read()` chunk its own 64 KB buffer), but reading short bodies that way
 * raised the peak RSS of a 5,000-user login phase by ~20 % (288–311 MB against 242–259 MB, two runs
 * each), so every body goes through the reader: Moodle's pages are 100–500 KB and gzip-chunked.
 */
import { chunksLength, sliceChunks } from "./chunks.ts";

export const DEFAULT_MAX_BODY_BYTES = 64 * 1024 * 1024;
/** How much of the start of a body is kept (markers near the start of a Moodle page). */
export const HEAD_BYTES = 64 * 1024;
/**
 * How much of the end of a body is kept. Moodle 4.3 prints the perf footer before ~107 KB of
 * end-of-page JavaScript (measured on a 150 KB and a 538 KB page), so 64 KB would miss it.
 */
export const TAIL_BYTES = 256 * 1024;

export interface BodyReadOptions {
  /** Longest body accepted, bytes (default 64 MiB). */
  maxBodyBytes?: number;
  /** Keep the whole body (still bounded by `maxBodyBytes`). */
  keepWhole?: boolean;
}

/** What was kept of one response body. */
export interface ResponseBody {
  /** Body bytes received, decoded (after gzip/deflate/br). */
  bytes: number;
  /**
   * Body bytes as they came over the wire (encoded). Equal to `bytes` for an unencoded body. For
   * gzip/br through Deno's fetch (which decodes them before any code sees them) it is the
   * `Content-Length`, or — a chunked encoded body — the decoded size, as nothing better is known.
   */
  wireBytes: number;
  /**
   * The chunks the body's start arrived in, as received (no copy): they cover its first
   * `HEAD_BYTES` (all of a short body), the last one may run past them. Search them with chunks.ts.
   */
  readonly headChunks: readonly Uint8Array[];
  /** The chunks covering the body's last `TAIL_BYTES` (the first one may start before them). */
  readonly tailChunks: readonly Uint8Array[];
  /** The first `HEAD_BYTES` bytes (all of a short body), joined from `headChunks` on first use. */
  readonly head: Uint8Array;
  /** The last `TAIL_BYTES` bytes (all of a short body), joined from `tailChunks` on first use. */
  readonly tail: Uint8Array;
  /** The whole body, only when asked for (`keepWhole`). */
  readonly whole?: Uint8Array;
}

/**
 * A body kept as chunk references; `head` and `tail` are joined only when someone asks for them
 * (the request path searches the chunks and never does: a 200 KB copy per page cost more CPU than
 * the fetch).
 */
class KeptBody implements ResponseBody {
  #head?: Uint8Array;
  #tail?: Uint8Array;

  constructor(
    readonly bytes: number,
    readonly wireBytes: number,
    readonly headChunks: readonly Uint8Array[],
    readonly tailChunks: readonly Uint8Array[],
    readonly whole?: Uint8Array,
  ) {}

  get head(): Uint8Array {
    return this.#head ??= sliceChunks(this.headChunks, 0, HEAD_BYTES);
  }

  get tail(): Uint8Array {
    if (this.#tail) return this.#tail;
    const length = chunksLength(this.tailChunks);
    return this.#tail = sliceChunks(this.tailChunks, Math.max(0, length - TAIL_BYTES), length);
  }
}

export const EMPTY_BODY: ResponseBody = Object.freeze(new KeptBody(0, 0, [], [])) as ResponseBody;

/** The offset in `body.tailChunks` where the body's last `TAIL_BYTES` begin. */
export function tailStart(body: ResponseBody): number {
  return Math.max(0, chunksLength(body.tailChunks) - TAIL_BYTES);
}

/** A body longer than the limit: the read stopped at `readBytes` (just past `maxBodyBytes`). */
export class BodyTooLargeError extends Error {
  override name = "BodyTooLargeError";
  /** Set by the transport: the status of the response whose body was too large. */
  status = 0;
  constructor(readonly maxBodyBytes: number, readonly readBytes: number) {
    super(
      `response body larger than the ${maxBodyBytes}-byte limit (--max-body): stopped after ` +
        `${readBytes} bytes`,
    );
  }
}

/** Collects chunks as they arrive; `push` throws `BodyTooLargeError` past the limit. */
export class BodyCollector {
  readonly #maxBytes: number;
  readonly #keepWhole: boolean;
  #bytes = 0;
  /** Chunks covering the first HEAD_BYTES (or every chunk with keepWhole). */
  readonly #headChunks: Uint8Array[] = [];
  #headBytes = 0;
  /** The most recent chunks covering at least the last TAIL_BYTES. */
  readonly #tailChunks: Uint8Array[] = [];
  /** Index of the first chunk of `#tailChunks` still in the tail. */
  #tailFirst = 0;
  #tailBytes = 0;

  constructor(options: BodyReadOptions = {}) {
    this.#maxBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
    this.#keepWhole = options.keepWhole ?? false;
  }

  get bytes(): number {
    return this.#bytes;
  }

  push(chunk: Uint8Array): void {
    if (chunk.byteLength === 0) return;
    this.#bytes += chunk.byteLength;
    if (this.#bytes > this.#maxBytes) throw new BodyTooLargeError(this.#maxBytes, this.#bytes);
    if (this.#keepWhole || this.#headBytes < HEAD_BYTES) {
      this.#headChunks.push(chunk);
      this.#headBytes += chunk.byteLength;
    }
    if (this.#keepWhole) return;
    this.#tailChunks.push(chunk);
    this.#tailBytes += chunk.byteLength;
    while (this.#tailBytes - this.#tailChunks[this.#tailFirst].byteLength >= TAIL_BYTES) {
      this.#tailBytes -= this.#tailChunks[this.#tailFirst++].byteLength;
    }
    // Dropped chunks are cut off in bulk: shift() per chunk is quadratic on a body of tiny chunks.
    if (this.#tailFirst >= 1024 && this.#tailFirst * 2 >= this.#tailChunks.length) {
      this.#tailChunks.splice(0, this.#tailFirst);
      this.#tailFirst = 0;
    }
  }

  /** `wireBytes`: the encoded size when the body came compressed (default: the bytes pushed). */
  finish(wireBytes = this.#bytes): ResponseBody {
    if (this.#bytes === 0 && wireBytes === 0) return EMPTY_BODY;
    if (this.#keepWhole) {
      const whole = concat(this.#headChunks, this.#headBytes);
      return new KeptBody(this.#bytes, wireBytes, [whole], [whole], whole);
    }
    const tail = this.#tailFirst === 0 ? this.#tailChunks : this.#tailChunks.slice(this.#tailFirst);
    return new KeptBody(this.#bytes, wireBytes, this.#headChunks, tail);
  }
}

function concat(chunks: Uint8Array[], bytes: number): Uint8Array {
  if (chunks.length === 1) return chunks[0];
  const out = new Uint8Array(bytes);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.byteLength;
  }
  return out;
}

/**
 * How a body came: its `Content-Encoding` and `Content-Length`, and whether the transport decoded
 * it already (Deno's fetch decodes gzip and br itself, not deflate; node:https decodes nothing).
 */
export interface BodyEncoding {
  /** The `Content-Encoding` header, or null. */
  contentEncoding: string | null;
  /** The `Content-Length` header, or null. */
  contentLength: string | null;
  /** The codings this transport decodes before the body reaches us. */
  decodedByTransport: ReadonlySet<string>;
}

/** `Content-Encoding` → DecompressionStream format ("x-gzip" is gzip's old name). */
const CODECS: Record<string, "gzip" | "deflate" | "brotli"> = {
  gzip: "gzip",
  "x-gzip": "gzip",
  deflate: "deflate",
  br: "brotli",
};

/** Read a web stream (fetch's `response.body`) through a collector, decoding it if the transport did not. */
export async function readBodyStream(
  stream: ReadableStream<Uint8Array> | null,
  options: BodyReadOptions,
  encoding?: BodyEncoding,
): Promise<ResponseBody> {
  const coding = encoding?.contentEncoding?.trim().toLowerCase();
  const codec = coding ? CODECS[coding] : undefined;
  if (stream === null || codec === undefined) return await collect(stream, options);
  if (encoding!.decodedByTransport.has(coding!)) {
    const length = Number(encoding!.contentLength ?? NaN);
    return await collect(
      stream,
      options,
      Number.isInteger(length) && length >= 0 ? { bytes: length } : undefined,
    );
  }
  const wire = { bytes: 0 };
  return await collect(await decodedStream(stream, codec, wire), options, wire);
}

async function collect(
  stream: ReadableStream<Uint8Array> | null,
  options: BodyReadOptions,
  wire?: { bytes: number },
): Promise<ResponseBody> {
  const collector = new BodyCollector(options);
  if (stream === null) return collector.finish();
  const reader = stream.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      collector.push(value);
    }
  } catch (error) {
    reader.cancel(error).catch(() => {});
    throw error;
  }
  return collector.finish(wire?.bytes);
}

/**
 * `raw` decoded by `codec`, its encoded bytes counted into `wire`. "deflate" is meant to be zlib
 * (RFC 9110) but some servers send raw deflate; browsers take both, so the first bytes decide.
 */
async function decodedStream(
  raw: ReadableStream<Uint8Array>,
  codec: "gzip" | "deflate" | "brotli",
  wire: { bytes: number },
): Promise<ReadableStream<Uint8Array>> {
  const reader = raw.getReader();
  let pending: ReadableStreamReadResult<Uint8Array> | undefined = await reader.read();
  const format = codec === "deflate" && !pending.done && !isZlibHeader(pending.value) ? "deflate-raw" : codec;
  const counted = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const next = pending ?? await reader.read();
      pending = undefined;
      if (next.done) return controller.close();
      wire.bytes += next.value.byteLength;
      controller.enqueue(next.value);
    },
    cancel: (reason) => reader.cancel(reason),
  });
  return counted.pipeThrough(
    new DecompressionStream(format) as unknown as ReadableWritablePair<Uint8Array, Uint8Array>,
  );
}

/** A zlib stream starts with CMF (method 8 = deflate) and FLG, their 16-bit value a multiple of 31. */
function isZlibHeader(bytes: Uint8Array): boolean {
  if (bytes.byteLength < 2) return (bytes[0] & 0x0f) === 8;
  return (bytes[0] & 0x0f) === 8 && ((bytes[0] << 8) | bytes[1]) % 31 === 0;
}

const decoder = new TextDecoder();

/** The kept start of a body as text (a multi-byte character cut at the edge becomes U+FFFD). */
export function headText(body: ResponseBody): string {
  return decoder.decode(body.head);
}

/** The whole body as text when it was kept (`keepWhole`), else its kept start. */
export function wholeText(body: ResponseBody): string {
  return decoder.decode(body.whole ?? body.head);
}

/** The kept end of a body as text. */
export function tailText(body: ResponseBody): string {
  return decoder.decode(body.tail);
}
