/**
 * The real work behind bench and bisect: the other subcommands' implementation functions, called
 * directly (no shelling out to ourselves).
 */
import type { RunOptions } from "./run.ts";
import type { ConnectionOptionValues } from "../pg/connection_options.ts";
import type { ConnectionSettings } from "../pg/connection.ts";
import type { RunSummary } from "../results/summary_types.ts";
import type { BenchDeps, RestoreMode } from "./bench.ts";
import type { StopRequest } from "../util/stop_request.ts";

/** The `run` flags as commander parsed them (bench and bisect take the same ones). */
export type LoadFlags = Omit<RunOptions, "statsDir" | "banner">;

/** Database flags (restore, pg-stats): connection plus pg_restore's. */
export type DbFlags = ConnectionOptionValues & {
  config: string;
  jobs?: string;
  pgRestorePath?: string;
  skipAnalyze?: boolean;
};

/** Capture flags: sampling interval (s) and the Docker socket. */
export type CaptureFlags = {
  captureInterval?: number;
  dockerHost?: string;
};

/**
 * The database the run's metadata reads Moodle's and PostgreSQL's versions from: the one bench was
 * told about (--restore, --pg-stats or a --db-* flag); none otherwise (no guessing at localhost).
 */
async function metadataDb(
  flags: DbFlags & { restore?: string; pgStats?: boolean },
): Promise<ConnectionSettings | undefined> {
  const given = flags.restore || flags.pgStats || flags.dbUrl || flags.dbHost || flags.dbName;
  if (!given) return undefined;
  const { resolveConnectionFromCli } = await import("../pg/connection.ts");
  return await resolveConnectionFromCli(flags).catch(() => undefined);
}

export async function realBenchDeps(
  flags: LoadFlags & DbFlags & CaptureFlags,
  argv: readonly string[],
): Promise<BenchDeps> {
  const interval = flags.captureInterval ?? 1;
  const [{ runLoad }, { moodleBackend }, { VERSION }] = await Promise.all([
    import("./run.ts"),
    import("../moodle/backend.ts"),
    import("../version.ts"),
  ]);
  const siteDb = await metadataDb(flags);
  return {
    load: async (runDir: string, stop?: StopRequest): Promise<RunSummary | undefined> =>
      await runLoad({ ...flags, statsDir: runDir }, {
        backend: moodleBackend,
        version: VERSION,
        stop,
        siteDb,
      }),
    restore: async (dump: string, mode: RestoreMode) => {
      const [{ resolveConnectionFromCli }, { parseJobs, restoreDatabase }] = await Promise.all([
        import("../pg/connection.ts"),
        import("../pg/restore.ts"),
      ]);
      await restoreDatabase(await resolveConnectionFromCli(flags), {
        dump,
        mode,
        jobs: parseJobs(flags.jobs ?? "4"),
        pgRestorePath: flags.pgRestorePath,
        skipAnalyze: flags.skipAnalyze,
      });
    },
    docker: async (containers: string[], runDir: string, tag: string, signal: AbortSignal) => {
      const { dockerStats } = await import("../docker/capture.ts");
      await dockerStats({
        containers,
        interval: Math.max(1, Math.round(interval)),
        duration: 0,
        outdir: runDir,
        tag,
        printInterval: 0,
        dockerHost: flags.dockerHost,
        signal,
        quiet: true,
      });
    },
    pg: async (runDir: string, tag: string, signal: AbortSignal) => {
      const { pgStats } = await import("../pg/stats_capture.ts");
      await pgStats({ ...flags, interval, duration: 0, outdir: runDir, tag, signal, quiet: true });
    },
    argv,
    version: VERSION,
  };
}
