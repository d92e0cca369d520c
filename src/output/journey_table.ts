/**
 * The journey tables on the terminal (live progress and the end of a run), at most 80 columns:
 * per journey started / completed / failed, the duration of completed iterations from their
 * intended start (think time included, as a user lives it) and their think time apart; then the
 * failed iterations by the step that failed first and its class.
 */
import { renderTable } from "./table.ts";

/** What a journey row shows (the summary's `journeys` entries have this shape). */
export interface JourneyRow {
  name: string;
  started: number;
  completed: number;
  failed: number;
  /** Failed iterations by their first failed step (its endpoint name `journey/step`) and class. */
  failed_by: Record<string, Record<string, number>>;
  duration_ms: { p50: number; p95: number };
  think_ms: { p50: number; p95: number };
}

/** Longest journey or step name shown; the summary JSON has the whole name. */
const NAME_WIDTH = 16;

function clip(name: string): string {
  return name.length <= NAME_WIDTH ? name : `${name.slice(0, NAME_WIDTH - 1)}…`;
}

const seconds = (
  ms: number,
) => (Number.isFinite(ms) && ms > 0 ? (ms / 1000).toFixed(ms < 10_000 ? 2 : 1) : "-");

/**
 * Journeys, one row each: `Running` are started and not yet over (live; 0 at the end unless the
 * run was cut short). Durations and think times in seconds (journeys are long), of completed ones.
 */
export function journeyTable(rows: readonly JourneyRow[]): string {
  return renderTable(
    ["Journey", "Started", "Done", "Failed", "Running", "p50 s", "p95 s", "Think p50/95"],
    rows.map((j) => [
      clip(j.name),
      j.started,
      j.completed,
      j.failed,
      Math.max(0, j.started - j.completed - j.failed),
      seconds(j.duration_ms.p50),
      seconds(j.duration_ms.p95),
      `${seconds(j.think_ms.p50)}/${seconds(j.think_ms.p95)}`,
    ]),
  );
}

/** Failed iterations by journey, first failed step and class, most frequent first; undefined when none failed. */
export function journeyFailureTable(rows: readonly JourneyRow[]): string | undefined {
  const failures = rows.flatMap((j) =>
    Object.entries(j.failed_by).flatMap(([step, byClass]) =>
      Object.entries(byClass).map(([errorClass, count]) => ({
        journey: j.name,
        step: step.startsWith(`${j.name}/`) ? step.slice(j.name.length + 1) : step,
        errorClass,
        count,
      }))
    )
  ).sort((a, b) => b.count - a.count);
  if (failures.length === 0) return undefined;
  return renderTable(
    ["Journey", "Failed at step", "Class", "Count"],
    failures.map((f) => [clip(f.journey), clip(f.step), f.errorClass, f.count]),
    { align: ["left", "left", "left", "right"] },
  );
}

/** Both, for the end of a run; the live block shows the same (failures included: they explain a stall). */
export function journeyTables(rows: readonly JourneyRow[]): string {
  const failures = journeyFailureTable(rows);
  return journeyTable(rows) + (failures ? `\n\n${failures}` : "");
}
