/**
 * What besides the code under test differs between two runs: the site, the target rate, an
 * interruption, and each recorded metadata value (summary_types.ts RunMetadata). One line per
 * difference; `compare` and the A/B report print them BEFORE the verdict, because a verdict between
 * runs on different Moodle releases or at different rates is about more than the change. Pure.
 */
import { redactUrl } from "../util/redact.ts";
import type { RunMetadata, RunSummary } from "../results/summary_types.ts";

/** The metadata values compared, with the name a warning gives them. */
const FIELDS: [keyof RunMetadata, string][] = [
  ["moodle_release", "Moodle release"],
  ["moodle_version", "Moodle version"],
  ["php_version", "PHP version"],
  ["postgres_version", "PostgreSQL version"],
  ["code_commit", "code commit"],
  ["tag", "tag"],
  ["config_hash", "config (hash)"],
  ["schedule_hash", "schedule (hash)"],
];

/** Hashes and commits are long: 12 characters tell them apart on a line. */
function shown(key: keyof RunMetadata, value: string): string {
  return key === "code_commit" || key.endsWith("_hash") ? value.replace(/^sha256:/, "").slice(0, 12) : value;
}

/** Target rates equal to a part in a billion (the mean over the measured phase is a float). */
export function targetsDiffer(base: RunSummary, candidate: RunSummary): boolean {
  return Math.abs(base.target_rpm - candidate.target_rpm) > 1e-9 * Math.max(1, base.target_rpm);
}

function metadataLines(base?: RunMetadata, candidate?: RunMetadata): string[] {
  if (!base || !candidate) {
    const without = [!base && "base", !candidate && "candidate"].filter(Boolean).join(" and ");
    return [
      `${without} recorded no run metadata (written by an older moodle-load): Moodle, PHP, PostgreSQL, ` +
      `code and config cannot be checked to be the same`,
    ];
  }
  return FIELDS.flatMap(([key, name]) => {
    const b = base[key];
    const c = candidate[key];
    if (b === c) return [];
    if (b === null || c === null) {
      // Unknown on one side only: it may differ; say which side could not tell.
      return [
        `${name}: ${b === null ? "unknown" : shown(key, b)} in base vs ${
          c === null ? "unknown" : shown(key, c)
        } in candidate — cannot tell whether they are the same`,
      ];
    }
    return [`${name} differs: ${shown(key, b)} in base vs ${shown(key, c)} in candidate`];
  });
}

export function runDifferences(base: RunSummary, candidate: RunSummary): string[] {
  const lines: string[] = [];
  if (base.base_url !== candidate.base_url) {
    lines.push(`different sites: ${redactUrl(base.base_url)} vs ${redactUrl(candidate.base_url)}`);
  }
  if (targetsDiffer(base, candidate)) {
    lines.push(
      `target rates differ (${base.target_rpm} vs ${candidate.target_rpm} rpm): the rate is compared as ` +
        `the share of target achieved, and latencies at different loads may differ for that reason alone`,
    );
  }
  for (const [side, summary] of [["base", base], ["candidate", candidate]] as const) {
    if (summary.interrupted) {
      lines.push(`the ${side} run was interrupted (Ctrl-C) after ${summary.elapsed_sec} s: it measured less`);
    }
  }
  lines.push(...metadataLines(base.metadata, candidate.metadata));
  return lines;
}
