/** File names of the capture CSVs (docker-stats, pg-stats): `<series>_<UTC stamp>[_<tag>].csv`. */

/** `<outdir>/<container>_<ts>_<tag>.csv` (no `_<tag>` without a tag); names made file-safe. */
export function csvFileName(container: string, stamp: string, tag?: string): string {
  const safe = (text: string) => text.replace(/[^A-Za-z0-9_.-]+/g, "-");
  return `${safe(container)}_${stamp}${tag ? `_${safe(tag)}` : ""}.csv`;
}

/** 2026-11-21T05:30:00.123Z → 20261121T053000Z */
export function fileStamp(date: Date): string {
  return date.toISOString().replace(/\.\d+Z$/, "Z").replaceAll("-", "").replaceAll(":", "");
}
