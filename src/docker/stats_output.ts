/** What docker-stats writes: the CSV columns and the live table (pure; capture.ts does the I/O). */
import type { CsvValue } from "../output/csv.ts";
import { binaryBytes, decimalBytes } from "../output/format.ts";
import { renderTable } from "../output/table.ts";
import type { SeriesEvent, SeriesState } from "./series.ts";
import type { StatsRow } from "./stats_math.ts";

export const CSV_HEADER = [
  "epoch_ms",
  "iso_time",
  "cpu_pct",
  "mem_used_bytes",
  "mem_limit_bytes",
  "mem_pct",
  "net_rx_bytes",
  "net_tx_bytes",
  "blk_read_bytes",
  "blk_write_bytes",
  "pids",
] as const;

/** A row of numbers, or a gap row: the time and empty fields (plots show a break, not a zero). */
export function csvValues(event: SeriesEvent): CsvValue[] {
  const time = [event.timeMs, new Date(event.timeMs).toISOString()];
  if (event.kind === "gap") return [...time, ...CSV_HEADER.slice(2).map(() => "")];
  const r = event.row;
  return [
    ...time,
    Number(r.cpuPct.toFixed(3)),
    r.memUsedBytes,
    r.memLimitBytes,
    Number(r.memPct.toFixed(3)),
    r.netRxBytes,
    r.netTxBytes,
    r.blkReadBytes,
    r.blkWriteBytes,
    r.pids,
  ];
}

export interface LiveEntry {
  name: string;
  state: SeriesState;
  gapReason: string;
  latest: StatsRow | undefined;
}

/** The seed's table: Container, CPU %, Mem used / limit, PIDs, Net rx / tx, Block I/O r / w. */
export function liveTable(entries: readonly LiveEntry[], human: boolean): string {
  const bin = (n: number) => (human ? binaryBytes(n) : String(n));
  const dec = (n: number) => (human ? decimalBytes(n) : String(n));
  const rows = entries.map((e) => {
    if (e.state !== "running" || !e.latest) {
      const status = e.state === "starting" ? "(waiting for samples)" : `(${e.gapReason || "gap"})`;
      return [e.name, status, "", "", "", ""];
    }
    const r = e.latest;
    return [
      e.name,
      `${r.cpuPct.toFixed(2)}%`,
      `${bin(r.memUsedBytes)} / ${bin(r.memLimitBytes)}`,
      String(r.pids),
      `${dec(r.netRxBytes)} / ${dec(r.netTxBytes)}`,
      `${dec(r.blkReadBytes)} / ${dec(r.blkWriteBytes)}`,
    ];
  });
  return renderTable(
    ["Container", "CPU %", "Mem used / limit", "PIDs", "Net rx / tx", "Block I/O r / w"],
    rows,
  );
}
