/**
 * `moodle-load merge SUMMARY_OR_RUN_DIR… --out DIR`: the shards of one run (`run --shard I/N`) → the
 * summary files the single run would have written (src/results/merge.ts does the maths), thresholds
 * judged on the merged result. Exit codes: 0 written; 1 a shard missing or given twice; 2 not shards of
 * one run, or a bad path; 99 a --threshold crossed.
 */
import { realOutputFs } from "../output/atomic.ts";
import { UserError } from "../errors.ts";
import { fileStamp } from "../results/stamp.ts";
import { locateSummary } from "../results/summary_file.ts";
import type { FullRunSummary } from "../results/summary.ts";
import { checkShards, mergeSummaries, type ShardInput } from "../results/merge.ts";
import { openRunFiles, type RunFiles, writeSummaryFiles } from "../results/files.ts";
import { prepareThresholds, thresholdsAfterRun } from "../thresholds/run_hook.ts";
import { endpointTable, finalTable } from "./run_view.ts";

export interface MergeOptions {
  out: string;
  allowPartial: boolean;
  threshold?: string[];
  quiet: boolean;
}

async function readShards(paths: readonly string[]): Promise<ShardInput[]> {
  const inputs: ShardInput[] = [];
  for (const path of paths) {
    const located = await locateSummary(path);
    inputs.push({ path: located.path, summary: located.summary as FullRunSummary });
  }
  return inputs;
}

async function writeMerged(out: string, summary: FullRunSummary): Promise<RunFiles> {
  try {
    await Deno.mkdir(out, { recursive: true });
  } catch (error) {
    throw new UserError(
      `--out ${out}: cannot create it (${(error as Error).message}) — choose another folder`,
    );
  }
  // Named like the single run's files (stamp of its start); a stamp already taken in --out gets -2, -3….
  const problems: string[] = [];
  const opened = await openRunFiles(
    out,
    fileStamp(new Date(summary.started_at)),
    undefined,
    realOutputFs,
    (problem) => problems.push(`${problem.path}: ${problem.reason}`),
  );
  for (const row of summary.intervals) opened.progress.append(row);
  opened.progress.close();
  const failed = await writeSummaryFiles(opened.names, summary, realOutputFs);
  problems.push(...failed.map((problem) => `${problem.path}: ${problem.reason}`));
  if (problems.length) {
    throw new UserError(`merge: cannot write ${problems.join("; ")} — free space or choose --out`);
  }
  return opened.names;
}

export async function mergeCommand(paths: string[], options: MergeOptions, version: string): Promise<void> {
  const inputs = await readShards(paths);
  const check = checkShards(inputs, options.allowPartial);
  const summary = mergeSummaries(inputs, check, version);
  const files = await writeMerged(options.out, summary);
  if (!options.quiet) {
    const { count, present, missing } = check;
    console.log(
      `merged ${present.length} of ${count} shards (seed ${summary.seed}, schedule ${
        summary.schedule_hash?.slice(0, 12)
      })${
        missing.length ? ` — PARTIAL: shards ${missing.map((i) => `${i}/${count}`).join(", ")} missing` : ""
      }`,
    );
    console.log("");
    console.log(finalTable(summary));
    console.log("");
    console.log(endpointTable(summary));
    console.log("");
    console.log(
      ["Files:", files.progress, files.summaryCsv, files.endpointsCsv, files.summaryJson].join("\n  "),
    );
  }
  if (options.threshold?.length) thresholdsAfterRun(summary, prepareThresholds(undefined, options.threshold));
  if (summary.partial && !options.quiet) {
    console.error(`moodle-load: partial merge written (${files.summaryJson})`);
  }
}
