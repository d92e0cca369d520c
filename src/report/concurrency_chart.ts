/**
 * Requests in flight and re-logins over time, on the report's time axis: whether the concurrency cap
 * (or the users) bounded the run, and when sessions were lost and won back. From the 1-second time
 * line only (rows.ts): progress intervals sample in-flight too coarsely to read, so a summary
 * without a time line gets no chart. The peak of each row is drawn when the time line keeps it (else
 * the sample at the row's end), re-logins when the time line has them (older summaries: in-flight
 * alone). Pure.
 */
import type { ChartRows } from "./rows.ts";
import type { ChartSpec } from "./chart_types.ts";

export function concurrencyChart({ rows, source, secondsPerRow }: ChartRows): ChartSpec | undefined {
  if (source !== "timeline" || !rows.length) return undefined;
  const per = secondsPerRow === 1 ? "per second" : `per ${secondsPerRow} s`;
  const withRelogins = rows.some((r) => r.relogins !== undefined);
  const withPeak = rows.every((r) => r.inFlightMax !== undefined);
  return {
    id: "in-flight",
    title: withRelogins ? "In flight and re-logins" : "In flight",
    note:
      (withPeak
        ? `The most requests in flight at once, ${per}`
        : `Requests in flight at the end of each row (${per})`) +
      "; at the concurrency cap, due requests wait." +
      (withRelogins ? ` Re-logins after a lost session (or a logout step), ${per}.` : ""),
    unit: "requests",
    x: rows.map((r) => r.x),
    format: "int",
    series: [
      {
        label: withPeak ? "in flight (peak)" : "in flight",
        values: rows.map((r) => withPeak ? r.inFlightMax! : r.inFlight),
        color: "#7c3aed",
        fill: "rgba(124,58,237,0.12)", // charts.ts imports this file: no alpha() from there
        width: 2,
      },
      ...(withRelogins
        ? [{ label: "re-logins", values: rows.map((r) => r.relogins ?? 0), color: "#dc2626", width: 1.5 }]
        : []),
    ],
  };
}
