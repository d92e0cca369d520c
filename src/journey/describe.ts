/** The journeys of a config as `config check` prints them: one table per journey, one row per step. */
import type { Config, JourneyStep } from "../config/schema.ts";
import { renderTable } from "../output/table.ts";
import { planJourneys } from "./plan.ts";

function request(step: JourneyStep): string {
  if (step.upload) {
    const what = step.upload.file ?? `${step.upload.size_bytes} seeded bytes`;
    return `upload ${what} into ${step.upload.field}`;
  }
  if (step.form) {
    const which = step.form.selector ??
      (step.form.action ? `action*=${step.form.action}` : "first POST form");
    const fields = Object.keys(step.form.fields);
    return `submit form (${which})${fields.length ? ` setting ${fields.join(", ")}` : ""}`;
  }
  if (step.json !== undefined) return `POST ${step.path} (JSON ${step.json.length} characters)`;
  return `${step.method} ${step.path}`;
}

function checks(step: JourneyStep): string {
  const c = step.check ?? {};
  const parts = [
    c.status === undefined ? "2xx" : `status ${[c.status].flat().join("|")}`,
    ...(c.url ? [`url ~ /${c.url}/`] : []),
    ...(c.contains ? [`contains "${c.contains}"`] : []),
    ...(c.not_contains ? [`not "${c.not_contains}"`] : []),
    ...(c.regex ? [`~ /${c.regex}/`] : []),
  ];
  return parts.join(", ") + (step.on_fail === "continue" ? " (on fail: continue)" : "");
}

function think(step: JourneyStep): string {
  const t = step.think_time_ms;
  return t === undefined ? "" : typeof t === "number" ? `${t} ms` : `${t.min}–${t.max} ms`;
}

/** Empty when the config has no journeys; throws (one line) when a regular expression is invalid. */
export function describeJourneys(config: Config): string[] {
  const journeys = config.journeys ?? [];
  planJourneys(journeys);
  const total = journeys.reduce((sum, j) => sum + (j.weight ?? 1), 0);
  return journeys.map((journey) => {
    const share = ((journey.weight ?? 1) / total * 100).toFixed(1);
    return `Journey ${journey.name} (weight ${journey.weight ?? 1}, ${share} %):\n` + renderTable(
      ["Step", "Request", "Extract", "Check", "Think after"],
      journey.steps.map((step) => [
        `${journey.name}/${step.name}`,
        request(step),
        Object.keys(step.extract ?? {}).join(", "),
        checks(step),
        think(step),
      ]),
    );
  });
}
