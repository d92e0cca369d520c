/**
 * The numbers `docker stats` shows, computed exactly as the docker CLI does
 * (docker/cli cli/command/container/stats_helpers.go), as pure functions of the Engine's stats JSON.
 * Shapes differ between cgroup v1, cgroup v2 and Windows daemons, and fields can be absent or `null`;
 * every function here tolerates that and answers 0 rather than throwing.
 */

export interface CpuUsage {
  total_usage?: number;
  percpu_usage?: number[] | null;
  usage_in_kernelmode?: number;
  usage_in_usermode?: number;
}

export interface CpuStats {
  cpu_usage?: CpuUsage;
  system_cpu_usage?: number;
  online_cpus?: number;
}

export interface MemoryStats {
  usage?: number;
  limit?: number;
  /** cgroup v1 has `total_inactive_file`; cgroup v2 has `inactive_file`. */
  stats?: Record<string, number> | null;
  /** Windows. */
  privateworkingset?: number;
  commitbytes?: number;
}

export interface NetworkStats {
  rx_bytes?: number;
  tx_bytes?: number;
}

export interface BlkioEntry {
  major?: number;
  minor?: number;
  op?: string;
  value?: number;
}

/** One sample of `GET /containers/{id}/stats`. */
export interface StatsJson {
  id?: string;
  name?: string;
  read?: string;
  preread?: string;
  num_procs?: number;
  pids_stats?: { current?: number; limit?: number } | null;
  cpu_stats?: CpuStats | null;
  precpu_stats?: CpuStats | null;
  memory_stats?: MemoryStats | null;
  networks?: Record<string, NetworkStats> | null;
  blkio_stats?: { io_service_bytes_recursive?: BlkioEntry[] | null } | null;
  storage_stats?: { read_size_bytes?: number; write_size_bytes?: number } | null;
}

/** The row a sample becomes: raw numbers, as the CSV stores them. */
export interface StatsRow {
  cpuPct: number;
  memUsedBytes: number;
  memLimitBytes: number;
  memPct: number;
  netRxBytes: number;
  netTxBytes: number;
  blkReadBytes: number;
  blkWriteBytes: number;
  pids: number;
}

const num = (value: unknown): number => (typeof value === "number" && Number.isFinite(value) ? value : 0);

/** CPUs the percentage is scaled by: `online_cpus`, or the length of `percpu_usage` when that is 0. */
export function onlineCpus(cpu: CpuStats | null | undefined): number {
  const online = num(cpu?.online_cpus);
  return online > 0 ? online : (cpu?.cpu_usage?.percpu_usage?.length ?? 0);
}

/**
 * Linux CPU% between two samples: Δtotal_usage / Δsystem_cpu_usage × online CPUs × 100
 * (100 % = one full core). 0 unless both deltas are positive — so a counter reset (restart) or a
 * zero `precpu` reads 0, as in the docker CLI.
 */
export function cpuPercentLinux(
  cpu: CpuStats | null | undefined,
  precpu: CpuStats | null | undefined,
): number {
  const cpuDelta = num(cpu?.cpu_usage?.total_usage) - num(precpu?.cpu_usage?.total_usage);
  const systemDelta = num(cpu?.system_cpu_usage) - num(precpu?.system_cpu_usage);
  if (cpuDelta <= 0 || systemDelta <= 0) return 0;
  return (cpuDelta / systemDelta) * onlineCpus(cpu) * 100;
}

/** Nanoseconds since the epoch of an RFC 3339 timestamp with up to 9 fractional digits (0 if unparsable). */
export function timestampNs(text: string | undefined): number {
  const match = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(text ?? "");
  if (!match) return 0;
  const seconds = Date.parse(`${match[1]}${match[3]}`);
  if (Number.isNaN(seconds)) return 0;
  const fraction = Number((match[2] ?? "").padEnd(9, "0").slice(0, 9));
  return seconds * 1e6 + fraction;
}

/** Milliseconds since the epoch of a sample's `read` time; 0 for the daemon's "0001-01-01" (not running). */
export function sampleTimeMs(sample: StatsJson): number {
  const ms = timestampNs(sample.read) / 1e6;
  return ms > 0 ? Math.round(ms) : 0;
}

/**
 * Windows CPU%: Δtotal_usage (100 ns units) / (elapsed ns between `preread` and `read` / 100 ×
 * `num_procs`) × 100.
 */
export function cpuPercentWindows(sample: StatsJson): number {
  const elapsedNs = timestampNs(sample.read) - timestampNs(sample.preread);
  const possibleIntervals = (elapsedNs / 100) * num(sample.num_procs);
  const intervalsUsed = num(sample.cpu_stats?.cpu_usage?.total_usage) -
    num(sample.precpu_stats?.cpu_usage?.total_usage);
  if (possibleIntervals <= 0 || intervalsUsed <= 0) return 0;
  return (intervalsUsed / possibleIntervals) * 100;
}

/** A Windows daemon's sample (it has `num_procs` and no Linux `system_cpu_usage`). */
export function isWindowsSample(sample: StatsJson): boolean {
  return num(sample.num_procs) > 0 && sample.cpu_stats?.system_cpu_usage === undefined;
}

/**
 * Memory used as `docker stats` shows it: usage minus the inactive file cache
 * (`total_inactive_file` on cgroup v1, `inactive_file` on cgroup v2) when that is smaller than usage.
 */
export function memoryUsed(memory: MemoryStats | null | undefined): number {
  const usage = num(memory?.usage);
  const stats = memory?.stats ?? {};
  const v1 = stats.total_inactive_file;
  if (typeof v1 === "number" && v1 < usage) return usage - v1;
  const v2 = stats.inactive_file;
  if (typeof v2 === "number" && v2 < usage) return usage - v2;
  return usage;
}

export function memoryPercent(used: number, limit: number): number {
  return limit > 0 ? (used / limit) * 100 : 0;
}

/** Σ rx and Σ tx over every interface; no `networks` key (e.g. `--network none`) is 0, not an error. */
export function networkBytes(networks: StatsJson["networks"]): { rx: number; tx: number } {
  let rx = 0;
  let tx = 0;
  for (const iface of Object.values(networks ?? {})) {
    rx += num(iface?.rx_bytes);
    tx += num(iface?.tx_bytes);
  }
  return { rx, tx };
}

/** Σ `io_service_bytes_recursive` values whose op starts with r/R (read) or w/W (write); `null` is 0. */
export function blockIoBytes(blkio: StatsJson["blkio_stats"]): { read: number; write: number } {
  let read = 0;
  let write = 0;
  for (const entry of blkio?.io_service_bytes_recursive ?? []) {
    const op = (entry?.op ?? "").charAt(0).toLowerCase();
    if (op === "r") read += num(entry.value);
    else if (op === "w") write += num(entry.value);
  }
  return { read, write };
}

/**
 * Every number of one sample. CPU% is computed against `previous` when given (the capture's own
 * previous sample, so a longer `--interval` averages over it), else against the sample's `precpu_stats`.
 */
export function statsRow(sample: StatsJson, previous?: StatsJson): StatsRow {
  const windows = isWindowsSample(sample);
  let cpuPct: number;
  if (windows) {
    cpuPct = cpuPercentWindows(
      previous ? { ...sample, preread: previous.read, precpu_stats: previous.cpu_stats } : sample,
    );
  } else {
    cpuPct = cpuPercentLinux(sample.cpu_stats, previous ? previous.cpu_stats : sample.precpu_stats);
  }
  const memUsedBytes = windows
    ? num(sample.memory_stats?.privateworkingset)
    : memoryUsed(sample.memory_stats);
  const memLimitBytes = windows ? 0 : num(sample.memory_stats?.limit);
  const net = networkBytes(sample.networks);
  const block = windows
    ? { read: num(sample.storage_stats?.read_size_bytes), write: num(sample.storage_stats?.write_size_bytes) }
    : blockIoBytes(sample.blkio_stats);
  return {
    cpuPct,
    memUsedBytes,
    memLimitBytes,
    memPct: memoryPercent(memUsedBytes, memLimitBytes),
    netRxBytes: net.rx,
    netTxBytes: net.tx,
    blkReadBytes: block.read,
    blkWriteBytes: block.write,
    pids: num(sample.pids_stats?.current),
  };
}

/**
 * A sample of a container that is not running: the daemon keeps the stream open and sends
 * `read: "0001-01-01T00:00:00Z"` with empty CPU and memory stats.
 */
export function isNotRunningSample(sample: StatsJson): boolean {
  return sampleTimeMs(sample) === 0;
}
