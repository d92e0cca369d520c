/** The journey tables on the terminal: counts, durations and think time apart, failures, ≤ 80 columns. */
import assert from "node:assert/strict";
import { journeyFailureTable, type JourneyRow, journeyTables } from "../src/output/journey_table.ts";
import { liveJourneyRows } from "../src/commands/run_view.ts";
import { JourneyStats } from "../src/engine/journey_stats.ts";

const widest = (text: string) => Math.max(...text.split("\n").map((line) => line.length));

Deno.test("journey tables: started / done / failed / running, p50 and p95 from the intended start, think time apart; 80 columns at most", () => {
  const rows: JourneyRow[] = [{
    name: "a-journey-with-a-very-long-name-indeed",
    started: 1_234_567,
    completed: 1_200_000,
    failed: 34_000,
    failed_by: {
      "a-journey-with-a-very-long-name-indeed/post_the_reply_through_the_form": {
        check_failed: 30_000,
        timeout: 4000,
      },
    },
    duration_ms: { p50: 12_345, p95: 99_999 },
    think_ms: { p50: 4_000, p95: 9_000 },
  }, {
    name: "forum-post",
    started: 3,
    completed: 0,
    failed: 0,
    failed_by: {},
    duration_ms: { p50: NaN, p95: NaN },
    think_ms: { p50: NaN, p95: NaN },
  }];
  const text = journeyTables(rows);
  assert.ok(widest(text) <= 80, `${widest(text)} columns:\n${text}`);
  const lines = text.split("\n");
  assert.match(lines[0], /^Journey\s+Started\s+Done\s+Failed\s+Running\s+p50 s\s+p95 s\s+Think p50\/95$/);
  assert.match(lines[1], /^a-journey-with-… +1234567 +1200000 +34000 +567 +12\.3 +100\.0 +4\.00\/9\.00$/);
  // Nothing completed yet: no duration, 3 running.
  assert.match(lines[2], /^forum-post +3 +0 +0 +3 +- +- +-\/-$/);
  // Failures by the first failed step (named without its journey) and class, most frequent first.
  const failures = journeyFailureTable(rows)!.split("\n");
  assert.match(failures[0], /^Journey\s+Failed at step\s+Class\s+Count$/);
  assert.match(failures[1], /^a-journey-with-… +post_the_reply_… +check_failed +30000$/);
  assert.match(failures[2], /timeout +4000$/);
  assert.equal(journeyFailureTable([rows[1]]), undefined);
});

Deno.test("live journey rows: read from the engine's accumulators as they count; urls run as journeys left out", () => {
  const journey = new JourneyStats({
    name: "j",
    steps: [{ name: "j/a", path: "/" }, { name: "j/b", path: "/" }],
  });
  const url = new JourneyStats({ name: "dashboard", steps: [{ name: "dashboard", path: "/my/" }] });
  journey.started = 3;
  journey.complete(2_000, 500);
  journey.fail(1, "check_failed");
  const [row, ...more] = liveJourneyRows([url, journey], new Set(["dashboard"]));
  assert.equal(more.length, 0);
  assert.deepEqual([row.name, row.started, row.completed, row.failed], ["j", 3, 1, 1]);
  assert.deepEqual(row.failed_by, { "j/b": { check_failed: 1 } });
  assert.ok(Math.abs(row.duration_ms.p50 - 2_000) < 2 && Math.abs(row.think_ms.p95 - 500) < 1);
  assert.match(journeyTables([row]).split("\n")[1], /^j +3 +1 +1 +1 +2\.00 +2\.00 +0\.50\/0\.50$/);
});
