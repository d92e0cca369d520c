/**
 * Pure parsing of pg_dump custom-format archives and pg_restore's output: the file header (which
 * pg_dump made it), the `--list` table of contents, and `--verbose` progress lines.
 */

export interface ArchiveHeader {
  /** Archive format version, e.g. "1.14". */
  formatVersion: string;
  /** pg_dump's version string, e.g. "15.20 (Debian 15.20-0+deb12u1)" (absent in very old archives). */
  dumpedBy?: string;
  /** The server's version string at dump time. */
  serverVersion?: string;
  database?: string;
}

export const MAGIC = "PGDMP";

export function hasMagic(bytes: Uint8Array): boolean {
  return bytes.length >= 5 && new TextDecoder().decode(bytes.subarray(0, 5)) === MAGIC;
}

/** Reads the custom-format header (pg_backup_archiver.c ReadHead). Throws on a truncated header. */
export function parseArchiveHeader(bytes: Uint8Array): ArchiveHeader {
  if (!hasMagic(bytes)) throw new Error("not a pg_dump custom-format archive (no PGDMP signature)");
  let at = 5;
  const byte = () => {
    if (at >= bytes.length) throw new Error("archive header is truncated");
    return bytes[at++];
  };
  const vmaj = byte();
  const vmin = byte();
  const vrev = vmaj > 1 || (vmaj === 1 && vmin > 0) ? byte() : 0;
  const version = (vmaj * 256 + vmin) * 256 + vrev;
  const v = (a: number, b: number) => (a * 256 + b) * 256;
  const intSize = byte();
  if (version >= v(1, 7)) byte(); // offset size
  const format = byte();
  if (format !== 1) throw new Error(`archive format ${format} is not the custom format (pg_dump -F c)`);
  const readInt = () => {
    const sign = byte();
    let value = 0;
    for (let i = 0; i < intSize; i++) value += byte() * 2 ** (8 * i);
    return sign ? -value : value;
  };
  const readStr = () => {
    const length = readInt();
    if (length < 0) return undefined;
    if (at + length > bytes.length) throw new Error("archive header is truncated");
    const text = new TextDecoder().decode(bytes.subarray(at, at + length));
    at += length;
    return text;
  };
  if (version >= v(1, 15)) byte(); // compression algorithm
  else if (version >= v(1, 4)) readInt(); // compression level
  else if (version >= v(1, 2)) byte();
  const header: ArchiveHeader = { formatVersion: `${vmaj}.${vmin}` };
  if (version >= v(1, 4)) {
    for (let i = 0; i < 7; i++) readInt(); // creation time
    header.database = readStr();
  }
  if (version >= v(1, 10)) {
    header.serverVersion = readStr();
    header.dumpedBy = readStr();
  }
  return header;
}

/** "15.20 (Debian …)" → 15; "9.6.24" → 9.6 (the major of old-style versions). */
export function majorOf(version: string): number | undefined {
  const match = /(\d+)\.(\d+)/.exec(version) ?? /(\d+)/.exec(version);
  if (!match) return undefined;
  const first = Number(match[1]);
  return first < 10 && match[2] !== undefined ? Number(`${first}.${match[2]}`) : first;
}

export interface TocList {
  /** Dump IDs of the selected TOC entries, in list order. */
  ids: number[];
  /** Entries by kind ("TABLE", "TABLE DATA", "INDEX", …). */
  kinds: Record<string, number>;
  /** The entries whose data is stored in the archive body (table data, large objects), in list order. */
  dataIds: number[];
  dumpedBy?: string;
}

/** Parse `pg_restore --list`: lines `3356; 0 16389 TABLE DATA public a postgres`, comments start with ";". */
export function parseTocList(text: string): TocList {
  const ids: number[] = [];
  const dataIds: number[] = [];
  const kinds: Record<string, number> = {};
  let dumpedBy: string | undefined;
  for (const line of text.split("\n")) {
    const by = /^;\s+Dumped by pg_dump version:\s*(.+)$/.exec(line);
    if (by) dumpedBy = by[1].trim();
    const match = /^(\d+);\s+\d+\s+\d+\s+(.*)$/.exec(line);
    if (!match) continue;
    ids.push(Number(match[1]));
    const kind = KNOWN_KINDS.find((k) => match[2].startsWith(k + " ")) ?? match[2].split(" ")[0];
    kinds[kind] = (kinds[kind] ?? 0) + 1;
    if (/DATA$|^BLOB|^LARGE OBJECT/.test(kind)) dataIds.push(Number(match[1]));
  }
  return { ids, kinds, dataIds, dumpedBy };
}

/** Multi-word TOC kinds first so "TABLE DATA" is not counted as "TABLE". */
const KNOWN_KINDS = [
  "TABLE DATA",
  "SEQUENCE SET",
  "SEQUENCE OWNED BY",
  "FK CONSTRAINT",
  "MATERIALIZED VIEW DATA",
  "MATERIALIZED VIEW",
  "DEFAULT ACL",
  "INDEX ATTACH",
  "TABLE ATTACH",
  "TEXT SEARCH CONFIGURATION",
  "TEXT SEARCH DICTIONARY",
  "BLOB DATA",
  "LARGE OBJECT",
];

/**
 * Counts TOC entries done from `pg_restore --verbose` stderr. Serial restores print one action line
 * per entry ("creating …", "processing data for table …", "executing …"); parallel ones also print
 * "processing item N" (before the parallel loop) and "finished item N" (inside it).
 */
export class RestoreProgress {
  private readonly wanted: Set<number>;
  private readonly seen = new Set<number>();
  private actions = 0;
  dropped = 0;
  phase: "connecting" | "dropping" | "restoring" = "connecting";
  current = "";

  constructor(ids: readonly number[]) {
    this.wanted = new Set(ids);
  }

  get total(): number {
    return this.wanted.size;
  }

  get done(): number {
    return Math.min(this.total, Math.max(this.seen.size, this.actions));
  }

  /** Feed one stderr line; returns true when it was a progress line (not an error or warning). */
  line(text: string): boolean {
    const body = /^pg_restore: (.*)$/.exec(text)?.[1];
    if (body === undefined) return false;
    const item = /^(?:processing|finished) item (\d+) (.*)$/.exec(body);
    if (item) {
      const id = Number(item[1]);
      if (this.wanted.has(id)) this.seen.add(id);
      this.phase = "restoring";
      this.current = item[2];
      return true;
    }
    if (/^dropping /.test(body)) {
      this.phase = "dropping";
      this.dropped++;
      this.current = body;
      return true;
    }
    if (/^(creating|processing data for table|executing|restoring) /.test(body)) {
      this.phase = "restoring";
      this.actions++;
      this.current = body;
      return true;
    }
    return /^(connecting to database|launching item|entering main parallel loop|finished main parallel loop|processing missed item|implied data-only restore)/
      .test(body);
  }
}
