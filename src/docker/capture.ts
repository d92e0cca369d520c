/**
 * `moodle-load docker-stats`: one streaming stats connection per container over the Docker unix
 * socket (npm:dockerode), a flushed-as-it-goes CSV per container, a live table, gap rows when a
 * container stops or disappears (re-attached when it is back); a stop signal → files closed, exit
 * 130 / 143 / 129 (src/capture/session.ts).
 */
import { CaptureSession, checkCaptureWindow } from "../capture/session.ts";
import Docker from "dockerode";
import type { CsvAppender } from "../output/csv.ts";
import { EXIT, UserError } from "../errors.ts";
import { LiveBlock } from "../output/live.ts";
import { abortableSleep } from "../util/sleep.ts";
import { dockerSocketPath } from "./host.ts";
import { resolveContainers, type RunningContainer, runningContainer } from "./resolve.ts";
import { ContainerSeries, type SeriesEvent } from "./series.ts";
import type { StatsJson } from "./stats_math.ts";
import { CSV_HEADER, csvValues, liveTable } from "./stats_output.ts";

export interface DockerStatsOptions {
  containers?: string[];
  all?: boolean;
  interval: number;
  duration: number;
  outdir: string;
  tag?: string;
  human?: boolean;
  printInterval: number;
  dockerHost?: string;
  /** Stop when this aborts (bench stops the capture after the load). */
  signal?: AbortSignal;
  /** No status lines (bench prints its own); use printInterval 0 for no live table. */
  quiet?: boolean;
}

/** No sample for this long (the daemon sends one a second, even for a stopped container) → re-attach. */
const STALL_MS = 5_000;

function errorCode(error: unknown): string {
  return String((error as { code?: unknown })?.code ?? "");
}

function isNotCapable(error: unknown): boolean {
  return error instanceof Deno.errors.NotCapable || error instanceof Deno.errors.PermissionDenied ||
    /NotCapable|Requires (read|write|net) access/.test(String((error as Error)?.message ?? error));
}

function permissionHint(socket: string): string {
  return `this process is not allowed to use ${socket} (Deno permissions; \`deno task docker-stats\` allows only ` +
    `the default socket) — run \`deno run --allow-env --allow-read=${socket} --allow-write --allow-net=unix:${socket} ` +
    `main.ts docker-stats …\``;
}

/** A failure to reach the daemon, as one line saying which socket and what to do. */
export function socketError(socket: string, error: unknown): UserError {
  if (isNotCapable(error)) return new UserError(permissionHint(socket));
  const code = errorCode(error);
  if (code === "EACCES" || code === "EPERM") {
    return new UserError(
      `permission denied on the Docker socket ${socket} — add your user to the "docker" group ` +
        `(sudo usermod -aG docker $USER, then log in again) or run as root`,
    );
  }
  if (code === "ENOENT") {
    return new UserError(
      `the Docker socket ${socket} does not exist — is dockerd running? point --docker-host (or DOCKER_HOST) ` +
        `at its socket, e.g. --docker-host unix:///run/user/1000/docker.sock`,
    );
  }
  if (code === "ECONNREFUSED") {
    return new UserError(
      `nothing is listening on the Docker socket ${socket} — start dockerd, or fix --docker-host`,
    );
  }
  return new UserError(`cannot talk to Docker on ${socket}: ${(error as Error)?.message ?? error}`);
}

async function checkSocket(socket: string): Promise<void> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(socket);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) throw socketError(socket, { code: "ENOENT" });
    throw socketError(socket, error);
  }
  if (!info.isSocket) {
    throw new UserError(`${socket} is not a socket — point --docker-host at dockerd's unix socket`);
  }
}

/**
 * `deno task docker-stats` may write only the socket and ./stats (the compiled binary may write anywhere):
 * say so up front, before anything is created, when --out is elsewhere.
 */
async function checkOutdir(outdir: string, socket: string): Promise<void> {
  const { state } = await Deno.permissions.query({ name: "write", path: outdir });
  if (state === "granted") return;
  throw new UserError(
    `this process may not write to --out ${outdir} (\`deno task docker-stats\` writes only ./stats) — use the ` +
      `default --out, the compiled binary, or \`deno run --allow-env --allow-read=${socket} ` +
      `--allow-write=${socket},${outdir} --allow-net=unix:${socket} main.ts docker-stats …\``,
  );
}

/** dockerode on one unix socket, immune to a DOCKER_HOST=tcp://… in the environment. */
function connect(socket: string): Docker {
  // docker-modem re-reads DOCKER_HOST (and DOCKER_CERT_PATH files) in its constructor and lets a
  // tcp:// host override socketPath; the socket was already resolved, so drop them for this process.
  for (const name of ["DOCKER_HOST", "DOCKER_CERT_PATH", "DOCKER_TLS_VERIFY"]) Deno.env.delete(name);
  return new Docker({ socketPath: socket, host: undefined });
}

async function listRunning(docker: Docker): Promise<RunningContainer[]> {
  return (await docker.listContainers()).map(runningContainer);
}

/** One container: attach a stats stream, feed its samples to the series, re-attach after losing it. */
class ContainerCapture {
  readonly series: ContainerSeries;
  private writes: Promise<void> = Promise.resolve();
  rows = 0;
  gaps = 0;
  writeError: unknown;

  constructor(
    private readonly docker: Docker,
    public target: RunningContainer,
    private readonly csv: CsvAppender,
    private readonly intervalMs: number,
    private readonly signal: AbortSignal,
  ) {
    this.series = new ContainerSeries(intervalMs);
  }

  private record(events: SeriesEvent[]): void {
    for (const event of events) {
      if (event.kind === "row") this.rows++;
      else this.gaps++;
      this.writes = this.writes.then(() => this.csv.write(csvValues(event))).catch((error) => {
        this.writeError ??= error;
      });
    }
  }

  async run(): Promise<void> {
    while (!this.signal.aborted) {
      try {
        await this.stream();
      } catch { /* lost: recorded as a gap below, then re-attached */ }
      if (this.signal.aborted) break;
      this.record(this.series.onDetached(Date.now(), "gone"));
      await this.waitForReturn();
    }
    await this.writes;
  }

  /** Until the stream ends, stalls, fails or the capture stops. */
  private async stream(): Promise<void> {
    const stream = await this.docker.getContainer(this.target.id).stats({ stream: true }) as
      & NodeJS.ReadableStream
      & { destroy(): void };
    await new Promise<void>((resolve, reject) => {
      let buffered = "";
      const decoder = new TextDecoder();
      let watchdog: ReturnType<typeof setTimeout> | undefined;
      const finish = (error?: unknown) => {
        clearTimeout(watchdog);
        this.signal.removeEventListener("abort", onAbort);
        stream.removeAllListeners("data");
        try {
          stream.destroy();
        } catch { /* already closed */ }
        if (error) reject(error);
        else resolve();
      };
      const arm = () => {
        clearTimeout(watchdog);
        watchdog = setTimeout(() => finish(new Error("stats stream stalled")), STALL_MS);
      };
      const onAbort = () => finish();
      this.signal.addEventListener("abort", onAbort, { once: true });
      arm();
      stream.on("data", (chunk: Uint8Array | string) => {
        arm();
        buffered += typeof chunk === "string" ? chunk : decoder.decode(chunk, { stream: true });
        let newline: number;
        while ((newline = buffered.indexOf("\n")) >= 0) {
          const line = buffered.slice(0, newline).trim();
          buffered = buffered.slice(newline + 1);
          if (!line) continue;
          let sample: StatsJson;
          try {
            sample = JSON.parse(line);
          } catch {
            continue;
          }
          this.record(this.series.onSample(sample));
        }
      });
      stream.on("end", () => finish());
      stream.on("close", () => finish());
      stream.on("error", (error: unknown) => finish(error));
    });
  }

  /** Poll (once per interval) until the container, or one with its name, is running again. */
  private async waitForReturn(): Promise<void> {
    while (!this.signal.aborted) {
      await abortableSleep(Math.max(1000, this.intervalMs), this.signal);
      if (this.signal.aborted) return;
      try {
        const back = (await listRunning(this.docker)).find((c) =>
          c.id === this.target.id || c.name === this.target.name
        );
        if (back) {
          this.target = back;
          return;
        }
      } catch { /* daemon away: keep waiting */ }
    }
  }
}

export async function dockerStats(options: DockerStatsOptions): Promise<void> {
  checkCaptureWindow(options, 1, "at least 1 second (the Docker Engine samples once a second)");
  if (!options.all && !options.containers?.length) {
    throw new UserError("name the containers to watch with --containers a b …, or use --all", EXIT.usage);
  }
  const socket = dockerSocketPath(options.dockerHost ?? Deno.env.get("DOCKER_HOST"));
  const { docker, targets } = await connectTargets(options, socket);
  const session = await CaptureSession.open({ ...options, name: "docker-stats" });
  try {
    const captures: ContainerCapture[] = [];
    for (const target of targets) {
      const csv = await session.createCsv(target.name, CSV_HEADER);
      captures.push(new ContainerCapture(docker, target, csv, options.interval * 1000, session.signal));
    }
    await captureAll(options, socket, session, captures);
  } finally {
    session.close();
  }
}

/** Check the socket and the output folder, connect, and find the containers to watch. */
async function connectTargets(
  options: DockerStatsOptions,
  socket: string,
): Promise<{ docker: Docker; targets: RunningContainer[] }> {
  await checkOutdir(options.outdir, socket);
  await checkSocket(socket);
  const docker = connect(socket);
  let running: RunningContainer[];
  try {
    running = await listRunning(docker);
  } catch (error) {
    throw socketError(socket, error);
  }
  const targets = options.all ? running : resolveContainers(options.containers ?? [], running);
  if (!targets.length) {
    throw new UserError("no container is running — start some, or name them with --containers");
  }
  return { docker, targets };
}

/** Run every container's capture with the live table until the session stops; then the closing line. */
async function captureAll(
  options: DockerStatsOptions,
  socket: string,
  session: CaptureSession,
  captures: ContainerCapture[],
): Promise<void> {
  // The Engine's first sample comes a second or so after attaching: stopping at exactly --duration
  // lost the last row (and --duration 1 wrote none). Stop once every container has its
  // duration/interval rows, or at most one interval and a few seconds later.
  const wantRows = Math.floor(options.duration / options.interval);
  const enough = options.duration > 0
    ? setInterval(() => captures.every((c) => c.rows >= wantRows) && session.stop(), 100)
    : undefined;
  if (options.duration > 0) session.stopAfter((options.duration + options.interval + 3) * 1000);
  const live = new LiveBlock();
  const draw = () =>
    live.update(liveTable(
      captures.map((c) => ({
        name: c.target.name,
        state: c.series.state,
        gapReason: c.series.gapReason,
        latest: c.series.latest,
      })),
      options.human ?? false,
    ));
  const printer = options.printInterval > 0 ? setInterval(draw, options.printInterval * 1000) : undefined;
  session.say(
    `docker-stats: ${captures.length} container(s) via ${socket}, every ${options.interval}s` +
      `${
        options.duration > 0 ? ` for ${options.duration}s` : " until stopped (Ctrl-C)"
      } → ${options.outdir}/`,
  );
  try {
    await Promise.all(captures.map((c) => c.run()));
  } finally {
    clearInterval(enough);
    clearInterval(printer);
  }
  if (options.printInterval > 0) draw();
  const failed = captures.find((c) => c.writeError);
  if (failed) {
    throw new UserError(`writing ${options.outdir} failed: ${(failed.writeError as Error).message}`);
  }
  const rows = captures.reduce((sum, c) => sum + c.rows, 0);
  session.finish(`${rows} rows in ${captures.length} CSV file(s): ${session.paths.join(", ")}`);
}
