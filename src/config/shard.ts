/**
 * `--shard I/N | auto`, `--shard-count N` and `--start-at TIME` → a shard and a start instant
 * (docs/distributed.md). Shard indices are 0-based, as Kubernetes' JOB_COMPLETION_INDEX is; GitLab's
 * CI_NODE_INDEX is 1-based and is converted here, once.
 */
import { EXIT, UserError } from "../errors.ts";
import type { ShardSpec } from "../engine/shard.ts";

/** The environment variables `--shard auto` reads (and `run` may read: src/permissions.ts). */
export const SHARD_ENV = [
  "JOB_COMPLETION_INDEX",
  "MOODLE_LOAD_SHARDS",
  "CI_NODE_INDEX",
  "CI_NODE_TOTAL",
] as const;
export type ShardEnvName = typeof SHARD_ENV[number];

const SHARD_FLAG = /^(\d+)\/(\d+)$/;

/** Syntax check for the flag (commander's argParser): "I/N" with 0 ≤ I < N, or "auto". */
export function checkShardFlag(value: string): string {
  if (value === "auto") return value;
  const match = SHARD_FLAG.exec(value);
  if (!match || Number(match[1]) >= Number(match[2])) {
    throw new Error(`--shard must be I/N with 0 ≤ I < N (0-based: 0/4 … 3/4) or "auto", got "${value}"`);
  }
  return value;
}

function integerEnv(name: ShardEnvName, value: string, min: number): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || n < min) {
    throw new UserError(
      `--shard auto: ${name}="${value}" is not an integer ≥ ${min} — check the job's environment`,
      EXIT.usage,
    );
  }
  return n;
}

function checked(shard: ShardSpec, source: string): ShardSpec {
  if (shard.index >= shard.count) {
    throw new UserError(
      `--shard auto: ${source} gives shard ${shard.index} of ${shard.count} (indices are 0…${
        shard.count - 1
      }) — check the shard count`,
      EXIT.usage,
    );
  }
  return shard;
}

/**
 * The shard this process runs, or undefined without `--shard`. `env` reads one variable (undefined when
 * unset); it is only called for `auto`.
 */
export function resolveShard(
  flag: string | undefined,
  countFlag: number | undefined,
  env: (name: ShardEnvName) => string | undefined,
): ShardSpec | undefined {
  if (flag === undefined) {
    if (countFlag !== undefined) {
      throw new UserError("--shard-count goes with --shard auto — add --shard auto or drop it", EXIT.usage);
    }
    return undefined;
  }
  if (flag !== "auto") {
    const [index, count] = checkShardFlag(flag).split("/").map(Number);
    if (countFlag !== undefined && countFlag !== count) {
      throw new UserError(
        `--shard ${flag} and --shard-count ${countFlag} disagree — drop --shard-count`,
        EXIT.usage,
      );
    }
    return { index, count };
  }
  const k8sIndex = env("JOB_COMPLETION_INDEX");
  if (k8sIndex !== undefined && k8sIndex !== "") {
    const countText = countFlag !== undefined ? String(countFlag) : env("MOODLE_LOAD_SHARDS");
    if (countText === undefined || countText === "") {
      throw new UserError(
        `--shard auto: JOB_COMPLETION_INDEX=${k8sIndex} (a Kubernetes Indexed Job) but no shard count — ` +
          "pass --shard-count N or set MOODLE_LOAD_SHARDS to the Job's completions",
        EXIT.usage,
      );
    }
    const count = integerEnv("MOODLE_LOAD_SHARDS", countText, 1);
    return checked({ index: integerEnv("JOB_COMPLETION_INDEX", k8sIndex, 0), count }, "JOB_COMPLETION_INDEX");
  }
  const ciIndex = env("CI_NODE_INDEX");
  const ciTotal = env("CI_NODE_TOTAL");
  if (ciIndex && ciTotal) {
    const count = countFlag ?? integerEnv("CI_NODE_TOTAL", ciTotal, 1);
    // GitLab's parallel jobs count from 1.
    return checked({ index: integerEnv("CI_NODE_INDEX", ciIndex, 1) - 1, count }, "CI_NODE_INDEX (1-based)");
  }
  throw new UserError(
    "--shard auto: cannot tell this shard's index (neither JOB_COMPLETION_INDEX nor CI_NODE_INDEX/CI_NODE_TOTAL " +
      "is set) — pass --shard I/N (0-based), e.g. from a GitHub Actions matrix",
    EXIT.usage,
  );
}

/** `--start-at`: ISO 8601 with a time zone (2026-11-21T10:00:00Z) or epoch milliseconds. */
export function parseStartAt(value: string): number {
  const text = value.trim();
  if (/^\d{12,}$/.test(text)) return Number(text);
  const hasZone = /(Z|[+-]\d\d:?\d\d)$/i.test(text);
  const ms = Date.parse(text);
  if (!hasZone || !/^\d{4}-\d\d-\d\dT/.test(text) || !Number.isFinite(ms)) {
    throw new Error(
      `--start-at must be an ISO time with a zone (2026-11-21T10:00:00Z) or epoch milliseconds, got "${value}"`,
    );
  }
  return ms;
}
