/**
 * `moodle-load bisect`'s answer to `git bisect run`: 0 good, 1 bad, 125 skip (this commit cannot be
 * judged: prepare failed, database restore failed, site down, nobody could log in, too few requests
 * to judge a criterion — compare's exit 4), and 255 to
 * abort the bisect when the setup itself is wrong (bad flags, missing baseline) — marking commits
 * bad or skipped for that would send the bisect the wrong way. Pure.
 */
import { EXIT } from "../errors.ts";
import type { RunSummary } from "../results/summary_types.ts";
import type { FailOnHit, FailOnUnjudged } from "../compare/fail_on.ts";
import type { ThresholdResult } from "../thresholds/evaluate.ts";

export const BISECT_EXIT = {
  good: EXIT.ok,
  bad: EXIT.failure,
  skip: EXIT.bisectSkip,
  abort: EXIT.bisectAbort,
} as const;
export type BisectExit = typeof BISECT_EXIT[keyof typeof BISECT_EXIT];

/** What happened at this commit. */
export interface BisectEvidence {
  /** The prepare command's failure, e.g. "exit 2". */
  prepareFailure?: string;
  /** The bench step that failed, its message and the exit code it carried (UserError). */
  failure?: { step: string; message: string; exitCode?: number };
  summary?: RunSummary;
  /** --fail-on criteria crossed against the baseline. */
  hits?: FailOnHit[];
  /** Criteria that did not fire but could not have: too few requests to judge them (compare exit 4). */
  unjudged?: FailOnUnjudged[];
  /** Threshold results (absolute criteria). */
  crossed?: ThresholdResult[];
}

export interface BisectDecision {
  exitCode: BisectExit;
  verdict: "good" | "bad" | "skip" | "abort";
  reason: string;
}

/** The site did not answer: every measured request failed at the network level. */
export function siteDown(summary: RunSummary): boolean {
  if (summary.total === 0) return true;
  if (summary.success > 0) return false;
  // `abandoned`: sent, never answered before the run's grace ended (the site hangs).
  const network = ["connect", "tls", "timeout", "abandoned"].reduce(
    (sum, k) => sum + (summary.errors[k] ?? 0),
    0,
  );
  const serverErrors = summary.errors.http_5xx ?? 0;
  return network + serverErrors >= summary.failures * 0.9;
}

export function decideBisect(evidence: BisectEvidence): BisectDecision {
  const skip = (reason: string): BisectDecision => ({ exitCode: BISECT_EXIT.skip, verdict: "skip", reason });
  if (evidence.prepareFailure) return skip(`the prepare command failed (${evidence.prepareFailure})`);
  const failure = evidence.failure;
  if (failure) {
    if (failure.exitCode === EXIT.usage) {
      return { exitCode: BISECT_EXIT.abort, verdict: "abort", reason: `setup error: ${failure.message}` };
    }
    if (failure.step === "restore") return skip(`the database restore failed: ${failure.message}`);
    if (failure.exitCode === EXIT.noUsers) return skip(`login failed: ${failure.message}`);
    if (!evidence.summary) {
      return skip(`step "${failure.step}" failed before anything was measured: ${failure.message}`);
    }
  }
  const summary = evidence.summary;
  if (!summary) return skip("nothing was measured");
  if (siteDown(summary)) {
    return skip(`the site is down: ${summary.success} of ${summary.total} requests succeeded`);
  }
  if (summary.login.logged_in === 0) return skip("no user could log in");
  const reasons = [
    ...(evidence.hits ?? []).map((h) => h.detail),
    ...(evidence.crossed ?? []).map((r) => r.detail),
  ];
  if (reasons.length) return { exitCode: BISECT_EXIT.bad, verdict: "bad", reason: reasons.join("; ") };
  // "Good" would be a guess: this commit's run is too small to judge a criterion (lengthen --duration).
  if (evidence.unjudged?.length) {
    return skip(`cannot judge (too few samples): ${evidence.unjudged.map((u) => u.detail).join(", ")}`);
  }
  return { exitCode: BISECT_EXIT.good, verdict: "good", reason: "no criterion crossed" };
}
