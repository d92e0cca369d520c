/**
 * Read the server-side capture CSVs that sit in a run directory: `docker-stats` files
 * (`<container>_<ts>[_tag].csv`: epoch_ms, iso_time, cpu_pct, mem_used_bytes, …; a gap row has empty
 * numbers) and `pg-stats` files (`pg_<db>_<ts>[_tag].csv`). Files are recognised by their header.
 */
import { parse } from "csv-parse/sync";

/** One numeric time series file: epoch ms and named columns (null = gap or missing). */
export interface CaptureSeries {
  kind: "docker" | "pg";
  /** Container name or database name. */
  name: string;
  file: string;
  epochMs: number[];
  columns: Record<string, (number | null)[]>;
}

const STAMP = /_\d{8}T\d{6}Z(?:-\d+)?(?:_.*)?$/;

function baseName(file: string): string {
  return (file.split("/").pop() ?? file).replace(/\.csv$/i, "");
}

/** `moodle-db_20261121T053000Z_tag.csv` → `moodle-db`; `pg_moodle_…` → `moodle`. */
export function captureName(file: string, kind: CaptureSeries["kind"]): string {
  const stem = baseName(file);
  const withoutStamp = STAMP.test(stem) ? stem.replace(STAMP, "") : stem;
  return kind === "pg" ? withoutStamp.replace(/^pg_/, "") : withoutStamp;
}

export function detectKind(file: string, header: readonly string[]): CaptureSeries["kind"] | undefined {
  if (!header.includes("epoch_ms")) return undefined;
  if (header.includes("cpu_pct") && header.includes("mem_used_bytes")) return "docker";
  if (baseName(file).startsWith("pg_")) return "pg";
  return undefined;
}

/** Parse one capture CSV; undefined when it is not a capture file (e.g. load_progress_*.csv). */
export function parseCaptureCsv(file: string, text: string): CaptureSeries | undefined {
  const rows = parse(text, { relax_column_count: true, skip_empty_lines: true }) as string[][];
  if (rows.length === 0) return undefined;
  const header = rows[0].map((h) => h.trim());
  const kind = detectKind(file, header);
  if (!kind) return undefined;
  const epochIndex = header.indexOf("epoch_ms");
  const numeric = header.map((name, index) => ({ name, index })).filter((c) =>
    c.index !== epochIndex && !/^(iso_time|time|timestamp|iso)$/i.test(c.name)
  );
  const series: CaptureSeries = {
    kind,
    name: captureName(file, kind),
    file: file.split("/").pop() ?? file,
    epochMs: [],
    columns: Object.fromEntries(numeric.map((c) => [c.name, []])),
  };
  for (const row of rows.slice(1)) {
    const epoch = Number(row[epochIndex]);
    if (!Number.isFinite(epoch) || row[epochIndex] === "") continue;
    series.epochMs.push(epoch);
    for (const column of numeric) {
      const raw = row[column.index]?.trim() ?? "";
      const value = raw === "" ? null : Number(raw);
      series.columns[column.name].push(value === null || Number.isFinite(value) ? value : null);
    }
  }
  // Columns that never hold a number (text such as a state) are dropped.
  for (const [name, values] of Object.entries(series.columns)) {
    if (values.every((v) => v === null)) delete series.columns[name];
  }
  return series;
}

/** Every capture CSV in a directory (not recursive), sorted by kind and name. */
export async function readCaptures(dir: string): Promise<{ series: CaptureSeries[]; problems: string[] }> {
  const series: CaptureSeries[] = [];
  const problems: string[] = [];
  const names: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    if (entry.isFile && entry.name.toLowerCase().endsWith(".csv") && !entry.name.startsWith("load_")) {
      names.push(entry.name);
    }
  }
  for (const name of names.sort()) {
    try {
      const parsed = parseCaptureCsv(name, await Deno.readTextFile(`${dir}/${name}`));
      if (parsed && parsed.epochMs.length) series.push(parsed);
    } catch (error) {
      problems.push(`${name}: ${(error as Error).message}`);
    }
  }
  series.sort((a, b) => a.kind.localeCompare(b.kind) || a.name.localeCompare(b.name));
  return { series, problems };
}

/**
 * Postgres connection columns worth plotting: pg-stats' `conns_<state>` columns and
 * `waiting_on_locks` (other shapes: any column named after a connection state). Columns that stay
 * at zero throughout are left out (fewer lines to read).
 */
export function connectionColumns(series: CaptureSeries): string[] {
  const names = Object.keys(series.columns);
  const wanted = names.some((n) => n.startsWith("conns_"))
    ? names.filter((n) => n.startsWith("conns_") || n === "waiting_on_locks")
    : names.filter((name) =>
      /(^|_)(active|idle|idle_in_transaction|idle_in_tx|waiting|waiting_on_locks|connections?)($|_)/i.test(
        name,
      ) &&
      !/(per_s|_sec|bytes|age|ms$|_s$|ratio|rate|pct)/i.test(name)
    );
  const moving = wanted.filter((name) => series.columns[name].some((v) => v !== null && v !== 0));
  // An idle database still gets its chart (a flat line says "nobody connected").
  return moving.length ? moving : wanted.slice(0, 1);
}

/** "conns_idle_in_tx" → "idle in tx". */
export function connectionLabel(column: string): string {
  return column.replace(/^conns_/, "").replaceAll("_", " ");
}
