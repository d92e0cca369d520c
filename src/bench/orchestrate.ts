/**
 * The order of a bench run and what a failure does, with the real work injected (so it is tested
 * with fakes): restore → start capture (in parallel) → load (warm-up + measured) → stop capture →
 * manifest → report. A failed step stops the steps after it, except that capture is always
 * stopped and the manifest (and the report, when something was measured) are always written.
 */
import type { StepRecord } from "./manifest.ts";
import { sleep } from "../util/sleep.ts";

export interface CaptureTask {
  name: string;
  /** Runs until `signal` aborts; rejects when the capture cannot start or breaks. */
  run(signal: AbortSignal): Promise<void>;
}

export interface BenchWork<S> {
  restore?: () => Promise<void>;
  captures: CaptureTask[];
  /** Warm-up and measured load; returns the summary (undefined when nothing was measured). */
  load: () => Promise<S | undefined>;
  /** Whether a summary file exists in the run directory (load may have failed after writing it). */
  measured: () => Promise<boolean>;
  writeManifest: (steps: StepRecord[], failedStep?: string) => Promise<void>;
  report: () => Promise<string>;
  log: (line: string) => void;
  /** How long a capture gets to fail at start before the load begins (ms). */
  captureStartMs?: number;
  /** How long stopping the captures may take (ms). */
  captureStopMs?: number;
}

export interface BenchOutcome<S> {
  steps: StepRecord[];
  failedStep?: string;
  error?: unknown;
  summary?: S;
  reportPath?: string;
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export async function orchestrateBench<S>(work: BenchWork<S>): Promise<BenchOutcome<S>> {
  const steps: StepRecord[] = [];
  const outcome: BenchOutcome<S> = { steps };
  const fail = (record: StepRecord, error: unknown) => {
    record.status = "failed";
    record.error = message(error);
    if (!outcome.failedStep) {
      outcome.failedStep = record.name;
      outcome.error = error;
    }
  };
  const step = async <T>(name: string, action: () => Promise<T>): Promise<T | undefined> => {
    const record: StepRecord = { name, status: "skipped" };
    steps.push(record);
    if (outcome.failedStep) return undefined;
    const started = performance.now();
    record.started_at = new Date().toISOString();
    work.log(`bench: ${name}…`);
    try {
      const value = await action();
      record.status = "ok";
      return value;
    } catch (error) {
      fail(record, error);
      // The reason is in the one error line at the end; here only what happens next.
      work.log(`bench: ${name} failed — ending the run`);
      return undefined;
    } finally {
      record.seconds = Number(((performance.now() - started) / 1000).toFixed(3));
    }
  };

  if (work.restore) await step("restore", work.restore);

  // Captures run beside the load; a start failure (unknown container, no socket) shows up at once.
  const controller = new AbortController();
  const running: { task: CaptureTask; promise: Promise<void>; error?: unknown; ended: boolean }[] = [];
  if (work.captures.length) {
    await step("capture start", async () => {
      for (const task of work.captures) {
        const entry: (typeof running)[number] = { task, promise: Promise.resolve(), ended: false };
        entry.promise = task.run(controller.signal).then(
          () => void (entry.ended = true),
          (error) => {
            entry.ended = true;
            entry.error = error;
          },
        );
        running.push(entry);
      }
      await sleep(work.captureStartMs ?? 1500);
      const broken = running.find((r) => r.error !== undefined);
      if (broken) throw new Error(`${broken.task.name}: ${message(broken.error)}`);
    });
  }

  outcome.summary = await step("load", work.load);

  if (running.length) {
    const record: StepRecord = { name: "capture stop", status: "ok", started_at: new Date().toISOString() };
    steps.push(record);
    controller.abort();
    const stopped = await Promise.race([
      Promise.all(running.map((r) => r.promise)).then(() => true),
      sleep(work.captureStopMs ?? 10_000).then(() => false),
    ]);
    const broken = running.find((r) => r.error !== undefined && !isAbort(r.error));
    if (!stopped) fail(record, new Error("a capture did not stop in time; its file holds what it flushed"));
    else if (broken && outcome.failedStep !== "capture start") {
      fail(record, new Error(`${broken.task.name} broke during the run: ${message(broken.error)}`));
    }
  }

  // The manifest goes first (the report shows it), then again with the report's own step.
  const wroteSummary = await work.measured().catch(() => false);
  const manifestRecord: StepRecord = { name: "manifest", status: "ok" };
  steps.push(manifestRecord);
  try {
    await work.writeManifest(steps, outcome.failedStep);
  } catch (error) {
    fail(manifestRecord, error);
  }
  if (wroteSummary) {
    const reportRecord: StepRecord = {
      name: "report",
      status: "skipped",
      started_at: new Date().toISOString(),
    };
    steps.push(reportRecord);
    try {
      outcome.reportPath = await work.report();
      reportRecord.status = "ok";
    } catch (error) {
      fail(reportRecord, error);
    }
    await work.writeManifest(steps, outcome.failedStep).catch((error) => fail(manifestRecord, error));
  }
  return outcome;
}

function isAbort(error: unknown): boolean {
  return error instanceof DOMException && error.name === "AbortError";
}
