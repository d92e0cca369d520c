/**
 * A complete run directory as `bench` writes it, from fixtures: the load summary (real HDR
 * histograms), docker-stats CSVs (with a gap row), a pg-stats CSV and a manifest — for report tests.
 */
import { join } from "node:path";
import { csvDocument } from "../../src/output/csv.ts";
import type { RunSummary } from "../../src/results/summary_types.ts";
import { CSV_HEADER as DOCKER_HEADER } from "../../src/docker/stats_output.ts";
import { PG_CSV_HEADER } from "../../src/pg/stats_math.ts";
import { seededRandom } from "../../src/util/random.ts";
import { makeRunSummary, moodleMix } from "./run_fixture.ts";

export interface RunDirOptions {
  summary?: RunSummary;
  containers?: string[];
  pg?: boolean;
  manifest?: Record<string, unknown>;
  /** Epoch ms at which the gap row is written for the first container (default: one in the middle). */
  gap?: boolean;
}

export function demoSummary(): RunSummary {
  return makeRunSummary({
    endpoints: moodleMix({
      course_view: {
        errorRate: 0.01,
        perf: {
          pages: 5400,
          time_used_ms_mean: 162,
          db_reads_mean: 118,
          db_writes_mean: 2,
          memory_peak_bytes_mean: 26e6,
          included_files_mean: 812,
        },
      },
      forum_view: { errorRate: 0.004, errorClass: "timeout", slowdown: { afterSec: 100, factor: 1.8 } },
      dashboard: { errorRate: 0.002, errorClass: "session_lost" },
    }),
    targetRpm: 3000,
    durationSec: 180,
    warmupSec: 30,
    intervalSec: 5,
    seed: 42,
  });
}

export async function writeRunDir(dir: string, options: RunDirOptions = {}): Promise<RunSummary> {
  await Deno.mkdir(dir, { recursive: true });
  const summary = options.summary ?? demoSummary();
  const stamp = "20261121T050000Z";
  await Deno.writeTextFile(join(dir, `load_summary_${stamp}.json`), JSON.stringify(summary, null, 2));
  const random = seededRandom(9);
  const startMs = Date.parse(summary.started_at) - 10_000;
  const endMs = Date.parse(summary.ended_at) + 10_000;
  const loadAt = (ms: number) => {
    const interval = summary.intervals.find((i) => i.epoch_ms >= ms);
    return interval ? interval.observed_rpm / Math.max(1, summary.target_rpm) : 0;
  };
  const containers = options.containers ?? ["moodle-web", "moodle-db"];
  for (const [index, container] of containers.entries()) {
    const rows: (string | number)[][] = [];
    let rx = 0;
    for (let ms = startMs; ms <= endMs; ms += 1000) {
      const gapHere = (options.gap ?? true) && index === 0 && Math.abs(ms - (startMs + endMs) / 2) < 1500;
      if (gapHere) {
        rows.push([ms, new Date(ms).toISOString(), "", "", "", "", "", "", "", "", ""]);
        continue;
      }
      const load = loadAt(ms);
      const cpu = (index === 0 ? 140 : 60) * load + 3 + random() * 8;
      const mem = (index === 0 ? 420e6 : 900e6) + load * 180e6 + (ms - startMs) * 200 + random() * 5e6;
      rx += Math.round(load * 2e6 + random() * 1e5);
      rows.push([
        ms,
        new Date(ms).toISOString(),
        Number(cpu.toFixed(3)),
        Math.round(mem),
        4 * 1024 ** 3,
        Number((mem / (4 * 1024 ** 3) * 100).toFixed(3)),
        rx,
        rx * 6,
        1234567,
        7654321,
        index === 0 ? 34 : 21,
      ]);
    }
    await Deno.writeTextFile(join(dir, `${container}_${stamp}_bench.csv`), csvDocument(DOCKER_HEADER, rows));
  }
  if (options.pg ?? true) {
    const rows: (string | number)[][] = [];
    for (let ms = startMs; ms <= endMs; ms += 1000) {
      const load = loadAt(ms);
      const active = Math.round(load * 12 + random() * 3);
      rows.push([
        ms,
        new Date(ms).toISOString(),
        active,
        Math.max(0, 30 - active),
        Math.round(random() * 2 * load),
        0,
        1,
        0,
        random() < 0.05 * load ? 1 : 0,
        Number((random() * 0.04).toFixed(3)),
        Number((random() * 0.08).toFixed(3)),
        Number((load * 90 + random() * 5).toFixed(2)),
        0,
        99.8,
        Math.round(load * 40000),
        Math.round(load * 9000),
        Math.round(load * 30),
        Math.round(load * 60),
        0,
        0,
        0,
      ]);
    }
    await Deno.writeTextFile(join(dir, `pg_moodle_${stamp}_bench.csv`), csvDocument(PG_CSV_HEADER, rows));
  }
  await Deno.writeTextFile(
    join(dir, "manifest.json"),
    JSON.stringify(
      options.manifest ?? {
        tool: "moodle-load",
        version: "0.1.0",
        tag: "bench",
        host: "ci-runner",
        config_hash: "sha256:3f1a…",
        seed: summary.seed,
        started_at: summary.started_at,
        ended_at: summary.ended_at,
        command: ["moodle-load", "bench", "--config", "site.json", "--rpm", "3000", "--duration", "180"],
        thresholds: ["p95<2s", "error_rate<1%", "rpm_observed>95%"],
      },
      null,
      2,
    ),
  );
  return summary;
}
