/**
 * The skeleton every capture command (docker-stats, pg-stats) shares: the --interval/--duration
 * check, the output folder, one stamp for its CSV files (never another capture's: `-2`, `-3`…), the
 * stop — a stop signal, --duration, or the caller's AbortSignal (bench) — and the closing line:
 * `<name>: N rows in …`, or `interrupted by SIGTERM — flushed and closed N rows in …` with 130/143/129.
 */
import { CsvAppender } from "../output/csv.ts";
import { EXIT, UserError } from "../errors.ts";
import { createUnique, csvFileName, fileStamp } from "../results/stamp.ts";
import { stopName, StopRequest } from "../util/stop_request.ts";
import { checkCaptureDuration } from "./window.ts";

export interface CaptureSessionOptions {
  /** The command's name in its lines ("docker-stats"). */
  name: string;
  interval: number;
  duration: number;
  outdir: string;
  tag?: string;
  /** Stop when this aborts; the caller (bench) then owns the stop signals. */
  signal?: AbortSignal;
  /** No status lines (bench prints its own). */
  quiet?: boolean;
}

/** Check --interval/--duration (`minIntervalSec` and its reason: the source's own sampling limit). */
export function checkCaptureWindow(
  options: Pick<CaptureSessionOptions, "interval" | "duration">,
  minIntervalSec: number,
  why: string,
): void {
  if (!(options.interval >= minIntervalSec) || !(options.interval > 0)) {
    throw new UserError(`--interval must be ${why}`, EXIT.usage);
  }
  checkCaptureDuration(options.duration, options.interval);
}

export class CaptureSession {
  readonly #stop = new StopRequest();
  readonly #controller = new AbortController();
  readonly #files: CsvAppender[] = [];
  readonly #release: () => void;
  readonly #stamp = fileStamp(new Date());
  #timer: ReturnType<typeof setTimeout> | undefined;

  private constructor(private readonly options: CaptureSessionOptions) {
    this.#stop.onStop(() => this.#controller.abort());
    this.#release = options.signal ? () => {} : this.#stop.listen();
    this.#stop.hardStopLine = () =>
      `stopped again, at once — the CSV files hold every row up to now: ${this.paths.join(", ") || "none"}`;
    options.signal?.addEventListener("abort", () => this.#controller.abort(), { once: true });
    if (options.signal?.aborted) this.#controller.abort();
  }

  /** Create the output folder and listen for the stop. */
  static async open(options: CaptureSessionOptions): Promise<CaptureSession> {
    try {
      await Deno.mkdir(options.outdir, { recursive: true });
    } catch (error) {
      throw new UserError(`cannot create --out ${options.outdir}: ${(error as Error).message}`);
    }
    return new CaptureSession(options);
  }

  /** Aborts on a stop signal, at the end of --duration, or when the caller's signal aborts. */
  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  get paths(): string[] {
    return this.#files.map((f) => f.path);
  }

  readonly say = (line: string): void => {
    if (!this.options.quiet) console.log(line);
  };

  /** `<outdir>/<series>_<stamp>[-n][_<tag>].csv` with its header, created exclusively. */
  async createCsv(series: string, header: readonly string[]): Promise<CsvAppender> {
    const { outdir, tag } = this.options;
    try {
      const { value } = await createUnique(
        this.#stamp,
        (stamp) => CsvAppender.createNew(`${outdir}/${csvFileName(series, stamp, tag)}`, header),
      );
      this.#files.push(value);
      return value;
    } catch (error) {
      throw new UserError(`cannot write CSV files in ${outdir}: ${(error as Error).message}`);
    }
  }

  /** End the capture after `ms` (its --duration, plus whatever slack the source needs). */
  stopAfter(ms: number): void {
    this.#timer = setTimeout(() => this.#controller.abort(), ms);
  }

  stop(): void {
    this.#controller.abort();
  }

  /** Close the files and stop listening (always, in a finally). */
  close(): void {
    clearTimeout(this.#timer);
    this.#release();
    this.#files.forEach((f) => f.close());
  }

  /** The closing line: `<name>: <summary>`, or the stop signal's one line and exit code. */
  finish(summary: string): void {
    const by = this.#stop.stoppedBy;
    if (by) {
      throw new UserError(
        `interrupted by ${stopName(by)} — flushed and closed ${summary}`,
        this.#stop.exitCode,
      );
    }
    this.say(`${this.options.name}: ${summary}`);
  }
}
