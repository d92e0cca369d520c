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

interface RunningCapture {
  task: CaptureTask;
  promise: Promise<void>;
  error?: unknown;
  ended: boolean;
}

/** One bench run's step records and first failure; each method is one stage of orchestrateBench. */
class BenchSteps<S> {
  readonly outcome: BenchOutcome<S> = { steps: [] };
  readonly #controller = new AbortController();
  readonly #running: RunningCapture[] = [];

  constructor(readonly work: BenchWork<S>) {}

  /** Mark a step failed; the first failure names the run's failed step. */
  fail(record: StepRecord, error: unknown): void {
    record.status = "failed";
    record.error = message(error);
    if (!this.outcome.failedStep) {
      this.outcome.failedStep = record.name;
      this.outcome.error = error;
    }
  }

  /** Run a step unless one failed before it (then it is recorded as skipped). */
  async step<T>(name: string, action: () => Promise<T>): Promise<T | undefined> {
    const record: StepRecord = { name, status: "skipped" };
    this.outcome.steps.push(record);
    if (this.outcome.failedStep) return undefined;
    const started = performance.now();
    record.started_at = new Date().toISOString();
    this.work.log(`bench: ${name}…`);
    try {
      const value = await action();
      record.status = "ok";
      return value;
    } catch (error) {
      this.fail(record, error);
      // The reason is in the one error line at the end; here only what happens next.
      this.work.log(`bench: ${name} failed — ending the run`);
      return undefined;
    } finally {
      record.seconds = Number(((performance.now() - started) / 1000).toFixed(3));
    }
  }

  /** Captures run beside the load; a start failure (unknown container, no socket) shows up at once. */
  async startCaptures(): Promise<void> {
    for (const task of this.work.captures) {
      const entry: RunningCapture = { task, promise: Promise.resolve(), ended: false };
      entry.promise = task.run(this.#controller.signal).then(
        () => void (entry.ended = true),
        (error) => {
          entry.ended = true;
          entry.error = error;
        },
      );
      this.#running.push(entry);
    }
    await sleep(this.work.captureStartMs ?? 1500);
    const broken = this.#running.find((r) => r.error !== undefined);
    if (broken) throw new Error(`${broken.task.name}: ${message(broken.error)}`);
  }

  /** Always runs when a capture was started, even after a failure: its files must be closed. */
  async stopCaptures(): Promise<void> {
    if (!this.#running.length) return;
    const record: StepRecord = { name: "capture stop", status: "ok", started_at: new Date().toISOString() };
    this.outcome.steps.push(record);
    this.#controller.abort();
    const stopped = await Promise.race([
      Promise.all(this.#running.map((r) => r.promise)).then(() => true),
      sleep(this.work.captureStopMs ?? 10_000).then(() => false),
    ]);
    const broken = this.#running.find((r) => r.error !== undefined && !isAbort(r.error));
    if (!stopped) {
      this.fail(record, new Error("a capture did not stop in time; its file holds what it flushed"));
    } else if (broken && this.outcome.failedStep !== "capture start") {
      this.fail(record, new Error(`${broken.task.name} broke during the run: ${message(broken.error)}`));
    }
  }

  /** The manifest goes first (the report shows it), then again with the report's own step. */
  async writeManifestAndReport(): Promise<void> {
    const { steps } = this.outcome;
    const wroteSummary = await this.work.measured().catch(() => false);
    const manifestRecord: StepRecord = { name: "manifest", status: "ok" };
    steps.push(manifestRecord);
    try {
      await this.work.writeManifest(steps, this.outcome.failedStep);
    } catch (error) {
      this.fail(manifestRecord, error);
    }
    if (!wroteSummary) return;
    const reportRecord: StepRecord = {
      name: "report",
      status: "skipped",
      started_at: new Date().toISOString(),
    };
    steps.push(reportRecord);
    try {
      this.outcome.reportPath = await this.work.report();
      reportRecord.status = "ok";
    } catch (error) {
      this.fail(reportRecord, error);
    }
    await this.work.writeManifest(steps, this.outcome.failedStep)
      .catch((error) => this.fail(manifestRecord, error));
  }
}

export async function orchestrateBench<S>(work: BenchWork<S>): Promise<BenchOutcome<S>> {
  const run = new BenchSteps(work);
  if (work.restore) await run.step("restore", work.restore);
  if (work.captures.length) await run.step("capture start", () => run.startCaptures());
  run.outcome.summary = await run.step("load", work.load);
  await run.stopCaptures();
  await run.writeManifestAndReport();
  return run.outcome;
}

function isAbort(error: unknown): boolean {
  return error instanceof DOMException && error.name === "AbortError";
}
