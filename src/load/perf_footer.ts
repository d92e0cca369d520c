/**
 * Moodle's performance footer (perfdebug > 7): the server's own figures for one page — time used,
 * RAM, included files, DB reads/writes and time, session wait. Parsed by class name with cheerio and
 * tolerant of absence and of small differences between Moodle versions.
 */
import * as cheerio from "cheerio";
import type { MoodlePerf } from "./types.ts";

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

function parseAt(html: string, at: number): MoodlePerf | undefined {
  // Parse only the footer's neighbourhood: from the tag that carries the class to a bounded tail.
  const start = html.lastIndexOf("<", at);
  const $ = cheerio.load(html.slice(start < 0 ? at : start, at + 8192), null, false);
  const scope = $(`.${MARKER}`).first();
  if (scope.length === 0) return undefined;
  const text = (selector: string): string[] =>
    scope.find(selector).toArray().map((el) => $(el).text().trim());
  const perf: MoodlePerf = {};
  const [timeUsed] = text(".timeused");
  if (timeUsed !== undefined) perf.timeUsedSec = firstNumber(timeUsed);
  for (const item of text(".memoryused")) {
    const bytes = parseDisplaySize(item);
    if (bytes === undefined) continue;
    if (/peak/i.test(item)) perf.memoryPeakBytes = bytes;
    else perf.memoryUsedBytes ??= bytes;
  }
  const [included] = text(".included");
  if (included !== undefined) perf.includedFiles = firstNumber(included);
  const [db] = text(".dbqueries");
  const rw = db === undefined ? null : /(\d+)\s*\/\s*(\d+)/.exec(db);
  if (rw) {
    perf.dbReads = Number(rw[1]);
    perf.dbWrites = Number(rw[2]);
  }
  const [dbTime] = text(".dbtime");
  if (dbTime !== undefined) perf.dbTimeSec = firstNumber(dbTime);
  const [wait] = text(".sessionwait");
  if (wait !== undefined) perf.sessionWaitSec = firstNumber(wait);
  for (const key of Object.keys(perf) as (keyof MoodlePerf)[]) {
    if (perf[key] === undefined || Number.isNaN(perf[key])) delete perf[key];
  }
  return Object.keys(perf).length > 0 ? perf : undefined;
}

/**
 * The footer of a response body, cheaply: only HTML bodies, and cheerio runs only when the marker
 * is present (otherwise one native substring search from the end).
 */
export function perfFromBody(
  body: Uint8Array,
  contentType: string | null | undefined,
): MoodlePerf | undefined {
  if (body.byteLength === 0 || !contentType || !contentType.includes("html")) return undefined;
  return parsePerfFooter(decoder.decode(body));
}
