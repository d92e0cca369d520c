/**
 * What rate curve a run follows, from the flags and the config (flags win). Pure: no I/O.
 *
 * - `--profile NAME` (with a base rate from `--rpm`/`rpm` and a length from `--duration`/`duration`)
 *   builds a named shape (schedule.ts PROFILES).
 * - `--rpm N` on the command line: constant rate, whatever the config's `stages` say.
 * - config `stages`: k6-style ramps from 0; `--duration`/`duration` cuts them or holds the last rate.
 * - config `rpm`: constant rate.
 * The warm-up runs at the base rate (`--rpm`/`rpm`), else at the first stage's target.
 */
import type { Config } from "./schema.ts";
import { EXIT, UserError } from "../errors.ts";
import { parseDurationSeconds } from "../output/format.ts";
import {
  fitSegments,
  isProfileName,
  PROFILES,
  profileSegments,
  type Segment,
  stagesToSegments,
  withWarmup,
} from "../engine/schedule.ts";

export interface PlanFlags {
  rpm?: number;
  duration?: number;
  warmup?: number;
  profile?: string;
}

export interface RunPlan {
  kind: string;
  /** Measured curve only. */
  measured: Segment[];
  /** Warm-up prefix + measured curve: what the engine runs. */
  segments: Segment[];
  durationSec: number;
  warmupSec: number;
  warmupRpm: number;
}

function configDuration(config: Config): number | undefined {
  return config.duration === undefined ? undefined : parseDurationSeconds(config.duration);
}

export function planRun(config: Config, flags: PlanFlags): RunPlan {
  const baseRpm = flags.rpm ?? config.rpm;
  const duration = flags.duration ?? configDuration(config);
  const warmupSec = flags.warmup ?? 0;
  let kind: string;
  let measured: Segment[];
  if (flags.profile !== undefined) {
    if (!isProfileName(flags.profile)) {
      throw new UserError(
        `unknown profile "${flags.profile}" — use one of ${Object.keys(PROFILES).join(", ")}`,
        2,
      );
    }
    if (baseRpm === undefined) {
      throw new UserError(`--profile ${flags.profile} needs a base rate: give --rpm N`, EXIT.usage);
    }
    if (duration === undefined) {
      throw new UserError(`--profile ${flags.profile} needs --duration S`, EXIT.usage);
    }
    kind = flags.profile;
    measured = profileSegments(flags.profile, baseRpm, duration);
  } else if (flags.rpm !== undefined || (config.stages === undefined && config.rpm !== undefined)) {
    if (duration === undefined) {
      throw new UserError('no run length: give --duration S or "duration" in the config', EXIT.usage);
    }
    kind = "constant";
    measured = [{ durationSec: duration, startRate: baseRpm! / 60, endRate: baseRpm! / 60 }];
  } else if (config.stages !== undefined) {
    kind = "stages";
    measured = stagesToSegments(
      config.stages.map((s) => ({ durationSec: parseDurationSeconds(s.duration), rpm: s.rpm })),
    );
    if (duration !== undefined) measured = fitSegments(measured, duration);
  } else {
    throw new UserError('no target rate: give --rpm N, or "rpm" or "stages" in the config', EXIT.usage);
  }
  const durationSec = measured.reduce((sum, s) => sum + s.durationSec, 0);
  if (!(durationSec > 0)) throw new UserError("the run length is zero: give --duration S", EXIT.usage);
  const warmupRpm = baseRpm ?? (config.stages?.[0]?.rpm ?? 0);
  return {
    kind,
    measured,
    segments: withWarmup(warmupSec, warmupRpm, measured),
    durationSec,
    warmupSec,
    warmupRpm,
  };
}
