/**
 * Moodle's performance footer (perfdebug > 7): the server's own figures for one page — time used,
 * RAM, included files, DB reads/writes and time, session wait. Read by class name and tolerant of
 * absence and of small differences between Moodle versions.
 *
 * This runs on every measured page, so it does not build a DOM: a native substring search from the
 * end finds the marker, then one regular expression reads the class-named items in a 4 KB window.
 * (cheerio on that window cost ~0.7 ms per page here; this costs a few µs.)
 */
import type { MoodlePerf } from "../engine/types.ts";

const MARKER = "performanceinfo";
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
  for (let tries = 0; at >= 0 && tries < 4; tries++) {
    const perf = parseAt(html, at);
    if (perf) return perf;
    at = at > 0 ? html.lastIndexOf(MARKER, at - 1) : -1;
  }
  return undefined;
}

/** An opening tag with a class attribute and the text right after it (the footer's items are leaves). */
const ITEM = /<[a-z][a-z0-9]*\b[^>]*?\bclass\s*=\s*(["'])([^"']*)\1[^>]*>([^<]*)/gi;
const FIGURES = ["timeused", "memoryused", "included", "dbqueries", "dbtime", "sessionwait"] as const;
type Figure = typeof FIGURES[number];
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
 * Whether a site prints the footer is a site-wide setting (perfdebug). Scanning a 150 KB page that
 * has no footer costs ~100 µs (decode + search), one that has it ~20 µs. So once `absentStreak`
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

  scan(body: Uint8Array, contentType: string | null | undefined): MoodlePerf | undefined {
    if (body.byteLength === 0 || !contentType || !contentType.includes("html")) return undefined;
    if (this.sampling && ++this.#skipped < this.sampleEvery) return undefined;
    this.#skipped = 0;
    const perf = parsePerfFooter(decoder.decode(body));
    this.#absent = perf ? 0 : this.#absent + 1;
    return perf;
  }
}
