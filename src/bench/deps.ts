/**
 * The real work behind bench and bisect: the other subcommands' implementation functions, called
 * directly (no shelling out to ourselves).
 */
import type { RunOptions } from "../load/run.ts";
import type { RunSummary } from "../metrics/summary_types.ts";
import type { BenchDeps } from "./run.ts";

/** The `run` flags as commander parsed them (bench and bisect take the same ones). */
export type LoadFlags = Omit<RunOptions, "statsDir" | "banner">;

export async function realBenchDeps(load: LoadFlags, argv: readonly string[]): Promise<BenchDeps> {
  const [{ runLoad }, { moodleBackend }, { VERSION }] = await Promise.all([
    import("../load/run.ts"),
    import("../load/backend.ts"),
    import("../cli/program.ts"),
  ]);
  return {
    load: async (runDir: string): Promise<RunSummary | undefined> =>
      await runLoad({ ...load, statsDir: runDir }, { backend: moodleBackend, version: VERSION }),
    argv,
    version: VERSION,
  };
}
