/**
 * Moodle's performance footer (perfdebug > 7): the server's own figures for one page — time used,
 * RAM, included files, DB reads/writes and time, session wait. Read by class name and tolerant of
 * absence and of small differences between Moodle versions.
 *
 * This runs on every measured page, so it does not build a DOM and does not decode the page: a byte
 * search from the end of the kept chunks finds the marker (transport/chunks.ts), only a ~5 KB window
 * around it is decoded, and one regular expression reads the class-named items in it. (cheerio on
 * that window cost ~0.7 ms per page here; decoding the 256 KB tail to search it as a string cost more
 * CPU than fetching the page.)
 */
import type { MoodlePerf } from "../engine/types.ts";
import { BytePattern, chunksLength, lastIndexOfChunks, sliceChunks } from "./transport/chunks.ts";
import { type ResponseBody, tailStart } from "./transport/body.ts";

const MARKER = "performanceinfo";
const MARKER_BYTES = new BytePattern(MARKER);
const decoder = new TextDecoder();

/** A number of bytes from Moodle's display_size(): "6.4 MB", "980 KB", "12 bytes", "6.4MB". */
export function parseDisplaySize(text: string): number | undefined {
  const match = /(\d+(?:[.,]\d+)?)\s*(bytes?|b|kb|mb|gb|tb)\b/i.exec(text);
  if (!match) return undefined;
  const value = Number(match[1].replace(",", "."));
  const unit = match[2].toLowerCase();
  const power = unit.startsWith("b") ? 0 : ["kb", "mb", "gb", "tb"].indexOf(unit) + 1;
  return Math.round(value * 1024 ** power);
}

const firstNumber = (text: string): number | undefined => {
  const match = /-?\d+(?:\.\d+)?/.exec(text);
  return match ? Number(match[0]) : undefined;
};

/**
 * The footer figures in an HTML page, or undefined when the page has no footer. Looks at the last
 * few elements carrying the class (a `performanceinfo pageinfo` note may follow the figures).
 */
export function parsePerfFooter(html: string): MoodlePerf | undefined {
  let at = html.lastIndexOf(MARKER);
  for (let tries = 0; at >= 0 && tries < TRIES; tries++) {
    const perf = parseAt(html, at);
    if (perf) return perf;
    at = at > 0 ? html.lastIndexOf(MARKER, at - 1) : -1;
  }
  return undefined;
}

/** How many markers from the end are tried (a `performanceinfo pageinfo` note may follow the figures). */
const TRIES = 4;
/** Bytes decoded before a marker: the start of the tag that carries the class. */
const BEFORE_BYTES = 1024;

/**
 * `parsePerfFooter` on bytes kept as chunks, searching `[from, end of chunks)`: the marker is found
 * in the bytes, and only the window around it is decoded.
 */
export function parsePerfFooterChunks(chunks: readonly Uint8Array[], from = 0): MoodlePerf | undefined {
  const total = chunksLength(chunks);
  let at = lastIndexOfChunks(chunks, MARKER_BYTES, from, total);
  for (let tries = 0; at >= 0 && tries < TRIES; tries++) {
    // The marker is ASCII, so its byte offset starts a character: the window decodes as the page would.
    const before = decoder.decode(sliceChunks(chunks, Math.max(from, at - BEFORE_BYTES), at));
    const after = decoder.decode(sliceChunks(chunks, at, Math.min(total, at + WINDOW + MARKER.length)));
    const perf = parseAt(before + after, before.length);
    if (perf) return perf;
    at = lastIndexOfChunks(chunks, MARKER_BYTES, from, at + MARKER.length - 1);
  }
  return undefined;
}

const FIGURES = ["timeused", "memoryused", "included", "dbqueries", "dbtime", "sessionwait"] as const;
type Figure = typeof FIGURES[number];
/**
 * A class attribute naming one of the figures, and the text right after its tag (the footer's
 * items are leaves). One pass over the window: matching every tag from its `<` (as before) or
 * searching each name apart cost 5–19 µs a page, this ~3 µs (V8 on this machine).
 */
const ITEM = new RegExp(
  `\\bclass\\s*=\\s*(["'])([^"']*\\b(?:${FIGURES.join("|")})\\b[^"']*)\\1[^>]*>([^<]*)`,
  "g",
);
/** How far past the container the figures may lie (the cache table after them can be long). */
const WINDOW = 4096;

/** Items of the footer by class name, read from a bounded window after the marker. */
function itemsAt(html: string, at: number): Map<Figure, string[]> {
  const start = html.lastIndexOf("<", at);
  const window = html.slice(start < 0 ? at : start, at + WINDOW);
  const items = new Map<Figure, string[]>();
  for (const match of window.matchAll(ITEM)) {
    const classes = match[2].split(/\s+/);
    const figure = FIGURES.find((name) => classes.includes(name));
    if (!figure) continue;
    const text = match[3].replace(/&nbsp;/g, " ").trim();
    const list = items.get(figure);
    if (list) list.push(text);
    else items.set(figure, [text]);
  }
  return items;
}

function parseAt(html: string, at: number): MoodlePerf | undefined {
  const items = itemsAt(html, at);
  if (items.size === 0) return undefined;
  const text = (figure: Figure): string[] => items.get(figure) ?? [];
  const perf: MoodlePerf = {};
  const [timeUsed] = text("timeused");
  if (timeUsed !== undefined) perf.timeUsedSec = firstNumber(timeUsed);
  for (const item of text("memoryused")) {
    const bytes = parseDisplaySize(item);
    if (bytes === undefined) continue;
    if (/peak/i.test(item)) perf.memoryPeakBytes = bytes;
    else perf.memoryUsedBytes ??= bytes;
  }
  const [included] = text("included");
  if (included !== undefined) perf.includedFiles = firstNumber(included);
  const [db] = text("dbqueries");
  const rw = db === undefined ? null : /(\d+)\s*\/\s*(\d+)/.exec(db);
  if (rw) {
    perf.dbReads = Number(rw[1]);
    perf.dbWrites = Number(rw[2]);
  }
  const [dbTime] = text("dbtime");
  if (dbTime !== undefined) perf.dbTimeSec = firstNumber(dbTime);
  const [wait] = text("sessionwait");
  if (wait !== undefined) perf.sessionWaitSec = firstNumber(wait);
  for (const key of Object.keys(perf) as (keyof MoodlePerf)[]) {
    if (perf[key] === undefined || Number.isNaN(perf[key])) delete perf[key];
  }
  return Object.keys(perf).length > 0 ? perf : undefined;
}

/**
 * Whether a site prints the footer is a site-wide setting (perfdebug). A page that has no footer is
 * searched through its whole 256 KB tail, one that has it only from the end to the footer. So once `absentStreak`
 * HTML pages in a row had none, only one page in `sampleEvery` is scanned, until a footer shows up
 * again. Share one scanner between the users of a site.
 */
export class PerfFooterScanner {
  #absent = 0;
  #skipped = 0;

  constructor(readonly absentStreak = 32, readonly sampleEvery = 64) {}

  /** True while the site looks like it prints no footer (only samples are scanned). */
  get sampling(): boolean {
    return this.#absent >= this.absentStreak;
  }

  /** The footer in a body's kept tail (or in all of `body` when it is bytes). */
  scan(body: ResponseBody | Uint8Array, contentType: string | null | undefined): MoodlePerf | undefined {
    const empty = body instanceof Uint8Array ? body.byteLength === 0 : body.bytes === 0;
    if (empty || !contentType || !contentType.includes("html")) return undefined;
    if (this.sampling && ++this.#skipped < this.sampleEvery) return undefined;
    this.#skipped = 0;
    const perf = body instanceof Uint8Array
      ? parsePerfFooterChunks([body])
      : parsePerfFooterChunks(body.tailChunks, tailStart(body));
    this.#absent = perf ? 0 : this.#absent + 1;
    return perf;
  }
}
