/**
 * The one time stamp in every file and directory name the tool writes (`load_summary_<ts>.json`,
 * capture CSVs `<series>_<ts>[_<tag>].csv`, bench run directories `<ts>_<tag>`), how a name is made
 * unique, and how the newest of several is found.
 *
 * The stamp is UTC in ISO 8601 basic form, `20261121T053000Z`: names sort by time whatever the
 * machine's time zone (a local stamp repeats an hour each autumn and differs between the load host
 * and a CI runner), the trailing Z says which clock it is, and the capture files and bench
 * directories already used it. Older local `20261121_053000` names are still read (parseNameStamp).
 */

/** 2026-11-21T05:30:00.123Z → 20261121T053000Z */
export function fileStamp(date: Date): string {
  return date.toISOString().replace(/\.\d+Z$/, "Z").replaceAll("-", "").replaceAll(":", "");
}

/** `<ts>` for the first file of a second, `<ts>-2`, `<ts>-3`… for the next ones. */
export function uniqueStamp(stamp: string, attempt: number): string {
  return attempt <= 1 ? stamp : `${stamp}-${attempt}`;
}

/** `<outdir>/<container>_<ts>_<tag>.csv` (no `_<tag>` without a tag); names made file-safe. */
export function csvFileName(container: string, stamp: string, tag?: string): string {
  const safe = (text: string) => text.replace(/[^A-Za-z0-9_.-]+/g, "-");
  return `${safe(container)}_${stamp}${tag ? `_${safe(tag)}` : ""}.csv`;
}

/** Most names tried for one second before giving up (a loop that creates files in a tight loop). */
const MAX_ATTEMPTS = 1000;

/**
 * Create a file that no other run has: `name(uniqueStamp(stamp, n))` for n = 1, 2, … opened with
 * `createNew`, so two runs started in the same second never write the same file. `create` throws
 * Deno.errors.AlreadyExists to move on to the next name (also to veto a name whose sibling is taken).
 */
export async function createUnique<T>(
  stamp: string,
  create: (uniqueStamp: string) => Promise<T>,
): Promise<{ stamp: string; value: T }> {
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
    const candidate = uniqueStamp(stamp, attempt);
    try {
      return { stamp: candidate, value: await create(candidate) };
    } catch (error) {
      if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
    }
  }
  throw new Error(`more than ${MAX_ATTEMPTS} files with the stamp ${stamp}`);
}

/** A stamp found in a name: its time (ms since the epoch) and the -n suffix (1 without one). */
export interface NameStamp {
  timeMs: number;
  sequence: number;
}

const UTC_STAMP = /(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z(?:-(\d+))?/;
const LOCAL_STAMP = /(\d{4})(\d{2})(\d{2})_(\d{2})(\d{2})(\d{2})(?:-(\d+))?/;

/** The stamp in a file name (UTC, or the older local form); undefined when it has none. */
export function parseNameStamp(name: string): NameStamp | undefined {
  const utc = UTC_STAMP.exec(name);
  const match = utc ?? LOCAL_STAMP.exec(name);
  if (!match) return undefined;
  const [y, mo, d, h, mi, s] = match.slice(1, 7).map(Number);
  const timeMs = utc ? Date.UTC(y, mo - 1, d, h, mi, s) : new Date(y, mo - 1, d, h, mi, s).getTime();
  return { timeMs, sequence: match[7] ? Number(match[7]) : 1 };
}

/** Oldest first: by the stamp's time, then its -n suffix, then by name (names without a stamp first). */
export function compareStampedNames(a: string, b: string): number {
  const sa = parseNameStamp(a);
  const sb = parseNameStamp(b);
  if (sa && sb) {
    return sa.timeMs - sb.timeMs || sa.sequence - sb.sequence || (a < b ? -1 : a > b ? 1 : 0);
  }
  if (sa || sb) return sa ? 1 : -1;
  return a < b ? -1 : a > b ? 1 : 0;
}
