/**
 * The `docker stats` formulas on recorded stats JSON shapes. Expected values are worked out by hand
 * from the numbers in each fixture (the arithmetic is in the comments), not by running the code.
 * cgroup_v1*.json and not_running.json were recorded from Engine 20.10 (API 1.41) on cgroup v1; a few
 * fields of cgroup_v1.json were edited to exercise every branch (inactive file, blkio ops, two NICs).
 * cgroup_v2.json and windows.json follow the shapes those daemons send.
 */
import assert from "node:assert/strict";
import {
  blockIoBytes,
  cpuPercentLinux,
  cpuPercentWindows,
  isNotRunningSample,
  isWindowsSample,
  memoryUsed,
  networkBytes,
  onlineCpus,
  sampleTimeMs,
  type StatsJson,
  statsRow,
  timestampNs,
} from "../src/docker/stats_math.ts";

const fixture = (name: string): StatsJson =>
  JSON.parse(Deno.readTextFileSync(new URL(`./fixtures/docker_stats/${name}.json`, import.meta.url)));

const close = (actual: number, expected: number, what: string) =>
  assert.ok(Math.abs(actual - expected) < 1e-9, `${what}: ${actual} ≠ ${expected}`);

Deno.test("cgroup v1: total_inactive_file, two networks, Read/Write among other blkio ops", () => {
  const row = statsRow(fixture("cgroup_v1"));
  // Δtotal = 99_919_303 − 69_919_303 = 30_000_000; Δsystem = 1_186_700_000_000 − 1_184_680_000_000
  // = 2_020_000_000; × 2 online CPUs × 100 → 30e6 / 2.02e9 × 200 = 2.970297029702970…
  close(row.cpuPct, 300 / 101, "cpu");
  // usage 21_946_368 − total_inactive_file 1_048_576 (v1 wins over inactive_file 2_097_152) = 20_897_792
  assert.equal(row.memUsedBytes, 20_897_792);
  assert.equal(row.memLimitBytes, 67_108_864);
  // 20_897_792 / 67_108_864 = 0.3114013671875
  close(row.memPct, 31.14013671875, "mem%");
  // eth0 1_042 + lo 500 rx; eth0 2_330 + lo 500 tx
  assert.equal(row.netRxBytes, 1_542);
  assert.equal(row.netTxBytes, 2_830);
  // Read 4_096_000 + 8_192 (Sync/Async/Discard/Total are not counted); Write 20_971_520 + 0
  assert.equal(row.blkReadBytes, 4_104_192);
  assert.equal(row.blkWriteBytes, 20_971_520);
  assert.equal(row.pids, 1);
});

Deno.test("cgroup v1 recorded busy loop under --cpus 0.5: no networks key, empty blkio arrays", () => {
  const sample = fixture("cgroup_v1_no_networks");
  assert.equal(sample.networks, undefined);
  const row = statsRow(sample);
  // Δtotal = 6_094_866_678 − 5_587_739_185 = 507_127_493; Δsystem = 1_177_990_000_000 − 1_175_970_000_000
  // = 2_020_000_000; × 2 × 100 → 507_127_493 / 2_020_000_000 × 200 = 50.2106428… (docker stats: 49.45 %)
  close(row.cpuPct, 507_127_493 / 2_020_000_000 * 200, "cpu");
  assert.ok(Math.abs(row.cpuPct - 50.2106) < 1e-4);
  assert.equal(row.memUsedBytes, 831_488); // total_inactive_file is 0
  close(row.memPct, 831_488 / 67_108_864 * 100, "mem%"); // = 1.2390136…
  assert.deepEqual([row.netRxBytes, row.netTxBytes, row.blkReadBytes, row.blkWriteBytes], [0, 0, 0, 0]);
  assert.equal(row.pids, 1);
});

Deno.test("cgroup v2: inactive_file, no percpu_usage, lowercase blkio ops", () => {
  const row = statsRow(fixture("cgroup_v2"));
  // Δtotal 750_000_000 / Δsystem 4_000_000_000 × 4 CPUs × 100 = 75
  close(row.cpuPct, 75, "cpu");
  // 104_857_600 − inactive_file 31_457_280 = 73_400_320 (70 MiB); / 536_870_912 = 13.671875 %
  assert.equal(row.memUsedBytes, 73_400_320);
  close(row.memPct, 13.671875, "mem%");
  assert.equal(row.netRxBytes, 123_456_800);
  assert.equal(row.netTxBytes, 987_654_343);
  assert.equal(row.blkReadBytes, 1_235_567);
  assert.equal(row.blkWriteBytes, 7_654_321);
  assert.equal(row.pids, 7);
});

Deno.test("Windows: CPU from read−preread and num_procs, private working set, storage_stats", () => {
  const sample = fixture("windows");
  assert.ok(isWindowsSample(sample));
  assert.ok(!isWindowsSample(fixture("cgroup_v2")));
  const row = statsRow(sample);
  // elapsed 2 s = 2e9 ns → /100 = 2e7 intervals × 2 procs = 4e7; used 15e6 − 10e6 = 5e6 → 12.5 %
  close(row.cpuPct, 12.5, "cpu");
  close(cpuPercentWindows(sample), 12.5, "cpu direct");
  assert.equal(row.memUsedBytes, 47_185_920);
  assert.equal(row.memLimitBytes, 0);
  assert.equal(row.memPct, 0);
  assert.equal(row.blkReadBytes, 3_145_728);
  assert.equal(row.blkWriteBytes, 1_048_576);
  assert.deepEqual([row.netRxBytes, row.netTxBytes], [4_096, 2_048]);
});

Deno.test("a stopped container's sample: year 0001, null blkio arrays, empty stats → all zero, flagged", () => {
  const sample = fixture("not_running");
  assert.ok(isNotRunningSample(sample));
  assert.ok(!isNotRunningSample(fixture("cgroup_v1")));
  assert.equal(sample.blkio_stats?.io_service_bytes_recursive, null);
  const row = statsRow(sample);
  assert.deepEqual(Object.values(row), [0, 0, 0, 0, 0, 0, 0, 0, 0]);
});

Deno.test("CPU%: zero or negative deltas read 0; online_cpus 0 falls back to percpu_usage length", () => {
  const cpu = (total: number, system: number, online: number, percpu?: number[]) => ({
    cpu_usage: { total_usage: total, percpu_usage: percpu },
    system_cpu_usage: system,
    online_cpus: online,
  });
  assert.equal(cpuPercentLinux(cpu(100, 1000, 2), cpu(0, 0, 0)), 20); // zero precpu: lifetime average
  assert.equal(cpuPercentLinux(cpu(50, 2000, 2), cpu(100, 1000, 2)), 0); // counter reset (restart)
  assert.equal(cpuPercentLinux(cpu(200, 1000, 2), cpu(100, 1000, 2)), 0); // no system time passed
  assert.equal(onlineCpus(cpu(0, 0, 0, [1, 2, 3, 4])), 4);
  // 100 / 1000 × 4 (percpu length) × 100 = 40
  assert.equal(cpuPercentLinux(cpu(200, 2000, 0, [1, 2, 3, 4]), cpu(100, 1000, 0, [1, 2, 3, 4])), 40);
  assert.equal(cpuPercentLinux(undefined, null), 0);
});

Deno.test("statsRow against the capture's own previous sample averages CPU over the longer interval", () => {
  const at = (total: number, system: number): StatsJson => ({
    read: "2026-11-21T06:00:00Z",
    cpu_stats: { cpu_usage: { total_usage: total }, system_cpu_usage: system, online_cpus: 2 },
    precpu_stats: { cpu_usage: { total_usage: total - 1 }, system_cpu_usage: system - 1000, online_cpus: 2 },
  });
  // own previous: (4000 − 1000) / (20000 − 10000) × 2 × 100 = 60
  close(statsRow(at(4000, 20000), at(1000, 10000)).cpuPct, 60, "vs previous");
  // precpu: 1 / 1000 × 200 = 0.2
  close(statsRow(at(4000, 20000)).cpuPct, 0.2, "vs precpu");
});

Deno.test("helpers: inactive file larger than usage is ignored; missing pieces are zero", () => {
  assert.equal(memoryUsed({ usage: 100, stats: { total_inactive_file: 150, inactive_file: 30 } }), 70);
  assert.equal(memoryUsed({ usage: 100, stats: { inactive_file: 100 } }), 100);
  assert.equal(memoryUsed({ usage: 100, stats: null }), 100);
  assert.deepEqual(networkBytes(undefined), { rx: 0, tx: 0 });
  assert.deepEqual(networkBytes(null), { rx: 0, tx: 0 });
  assert.deepEqual(blockIoBytes({ io_service_bytes_recursive: null }), { read: 0, write: 0 });
  assert.deepEqual(blockIoBytes(undefined), { read: 0, write: 0 });
});

Deno.test("timestamps: 9, 8 and 7 fractional digits; the daemon's zero time", () => {
  assert.equal(timestampNs("1970-01-01T00:00:01.000000001Z"), 1_000_000_001);
  assert.equal(timestampNs("1970-01-01T00:00:01.5Z"), 1_500_000_000);
  assert.equal(
    sampleTimeMs({ read: "2026-11-21T05:28:29.96455766Z" }),
    Date.UTC(2026, 10, 21, 5, 28, 29, 965),
  );
  assert.equal(sampleTimeMs({ read: "2026-11-21T06:00:02.5000000Z" }), Date.UTC(2026, 10, 21, 6, 0, 2, 500));
  assert.equal(sampleTimeMs({ read: "0001-01-01T00:00:00Z" }), 0);
  assert.equal(sampleTimeMs({}), 0);
});
