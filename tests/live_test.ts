import { journeyTables } from "../src/output/journey_table.ts";
import assert from "node:assert/strict";
import { LiveBlock, screenRows } from "../src/output/live.ts";

Deno.test("screenRows: wrapped lines count as the rows they take; colours and unknown widths do not", () => {
  assert.equal(screenRows("a\nb\n", 80), 2);
  assert.equal(screenRows(`${"x".repeat(113)}\nshort\n`, 80), 3, "113 columns wrap onto 2 rows at 80");
  assert.equal(screenRows(`${"x".repeat(80)}\n`, 80), 1, "exactly the width is one row");
  assert.equal(screenRows("\x1b[32m" + "x".repeat(10) + "\x1b[0m\n", 10), 1);
  assert.equal(screenRows("\n\n", 80), 2, "empty lines take a row each");
  assert.equal(screenRows(`${"x".repeat(200)}\n`, undefined), 1);
});

Deno.test("LiveBlock: redraws over the rows drawn before on a TTY; appends plain blocks otherwise", () => {
  const written: string[] = [];
  const out = {
    writeSync: (bytes: Uint8Array) => (written.push(new TextDecoder().decode(bytes)), bytes.length),
  };
  const tty = new LiveBlock(true, out as unknown as typeof Deno.stdout);
  tty.update("one\ntwo");
  tty.update("three");
  assert.ok(
    written[1].startsWith("\x1b[") && written[1].endsWith("\x1b[Jthree\n"),
    JSON.stringify(written[1]),
  );
  written.length = 0;
  const plain = new LiveBlock(false, out as unknown as typeof Deno.stdout);
  plain.update("one\ntwo");
  plain.update("three");
  assert.deepEqual(written, ["one\ntwo\n", "three\n"]);
});

import {
  type LiveScreen,
  LiveView,
  logHeader,
  logLine,
  renderLiveScreen,
  WIDE_COLUMNS,
  wrapAtSpaces,
} from "../src/commands/run_live.ts";
import { RecentWindow } from "../src/commands/live_window.ts";
import type { RequestLogEntry } from "../src/engine/engine.ts";
import type { IntervalReport } from "../src/engine/intervals.ts";
import type { IntervalSummary } from "../src/results/summary_types.ts";
import { Stats } from "../src/engine/stats.ts";

/** A screen at its widest: big numbers, long names, many endpoints, every error class. */
function busyScreen(errors: Record<string, number>): LiveScreen {
  const figures = { p50Ms: 12_345.6, p95Ms: 29_999, p99Ms: 30_000, maxMs: 30_000 };
  return {
    elapsedSec: 3 * 3600 + 59,
    runSec: 4 * 3600,
    warmupSec: 60,
    recent: { spanSec: 10, total: 123_456, failures: 99_999, ...figures },
    cumulative: {
      measuredSec: 3 * 3600,
      targetRpm: 123_456,
      total: 98_765_432,
      failures: 1_234_567,
      ...figures,
    },
    targetRpm: 123_456,
    inFlight: 12_345,
    late: 9_876_543,
    lateBoundMs: 10,
    endpoints: Array.from({ length: 12 }, (_, i) => ({
      name: `journey-forum-post/step-${i}-with-a-very-long-name-indeed`,
      total: 1_000_000 - i,
      failures: 99_999,
      serviceP95Ms: 29_999,
      ...figures,
    })),
    errors,
  };
}

const everyClass = Object.fromEntries(
  [
    "timeout",
    "connect",
    "tls",
    "http_4xx",
    "http_5xx",
    "session_lost",
    "unexpected_status",
    "other",
    "abandoned",
  ]
    .map((name, i) => [name, 100_000 + i]),
);

Deno.test("renderLiveScreen: the narrow layout fits 80 columns with big figures; top endpoints bounded", () => {
  const text = renderLiveScreen(busyScreen(everyClass), 80);
  for (const line of text.split("\n")) assert.ok(line.length <= 80, `${line.length}: ${line}`);
  assert.match(text, /Last 10 s/);
  assert.match(text, /Measured/);
  assert.equal(
    text.split("\n").filter((l) => l.startsWith("journey-forum-post")).length,
    5,
    "top 5 endpoints",
  );
  assert.match(text, /… 7 more endpoints/);
  assert.match(text, /Errors: abandoned 100008 · other 100007/, "error classes, most frequent first");
  assert.doesNotMatch(text, /Max ms|Service p95/, "narrow: no max or service column");
});

Deno.test("renderLiveScreen: from 110 columns the wide layout (more endpoints and columns), within the width", () => {
  const wide = renderLiveScreen(busyScreen(everyClass), WIDE_COLUMNS);
  for (const line of wide.split("\n")) assert.ok(line.length <= WIDE_COLUMNS, `${line.length}: ${line}`);
  assert.match(wide, /Max ms/);
  assert.match(wide, /Service p95/);
  assert.equal(wide.split("\n").filter((l) => l.startsWith("journey-forum-post")).length, 10);
  const narrow = renderLiveScreen(busyScreen(everyClass), WIDE_COLUMNS - 1);
  assert.doesNotMatch(narrow, /Max ms/, "109 columns: still the narrow layout");
});

Deno.test("renderLiveScreen: no Errors line without failures; the warm-up has no cumulative figures yet", () => {
  const screen = { ...busyScreen({}), elapsedSec: 30, cumulative: undefined };
  const text = renderLiveScreen(screen, 80);
  assert.doesNotMatch(text, /Errors/);
  assert.match(text, /warm-up \(not counted\)/);
  assert.match(text, /^Measured +- +- +- +-/m);
  const withSection = renderLiveScreen(screen, 80, [(columns) => `Journeys (${columns} columns)`]);
  assert.match(withSection, /Journeys \(80 columns\)$/, "an added section is drawn last, with the width");
});

Deno.test("log lines: the header (printed once) and a line fit 80 columns with big figures", () => {
  for (const line of logHeader().split("\n")) assert.ok(line.length <= 80, `${line.length}: ${line}`);
  const report = { cumulative: { total: 9_876_543, failures: 123_456, late: 234_567 } } as IntervalReport;
  const row = {
    t_sec: 3 * 3600,
    warmup: false,
    target_rpm: 120_000,
    observed_rpm: 119_999,
    latency_ms_p50: 9_999,
    latency_ms_p95: 29_999,
    latency_ms_p99: 30_000,
    in_flight: 12_345,
    backlog: 99_999,
  } as IntervalSummary;
  const line = logLine(report, row, 60);
  assert.ok(line.length <= 80, `${line.length}: ${line}`);
  assert.match(line, /^3h01m00s +120000 +119999 +9876543 +123456 /);
});

function entry(second: number, latencyMs: number, ok = true, warmup = false): RequestLogEntry {
  return { intended_ms: second * 1000, latency_ms: latencyMs, ok, warmup, lateness_ms: 0 } as RequestLogEntry;
}

Deno.test("RecentWindow: the last N seconds only, with exact counts and percentiles", () => {
  const window = new RecentWindow(3);
  for (let s = 0; s < 6; s++) {
    for (let k = 0; k < 10; k++) window.record(entry(s, (s + 1) * 10, k !== 0));
  }
  const now = window.figures(6); // seconds 3, 4, 5
  assert.equal(now.total, 30);
  assert.equal(now.failures, 3);
  assert.equal(now.spanSec, 3);
  assert.ok(Math.abs(now.p50Ms - 50) < 0.1, `p50 ${now.p50Ms}`);
  assert.ok(Math.abs(now.maxMs - 60) < 0.1, `max ${now.maxMs}`);
  assert.equal(window.figures(8).total, 10, "at 8 s only second 5 is still inside");
  assert.equal(window.figures(1).spanSec, 1, "the first second spans 1 s");
  window.record(entry(1, 999)); // an answer from before the window: ignored
  assert.equal(window.figures(6).maxMs, now.maxMs);
});

Deno.test("LiveView off a terminal: the header once, the warm-up's end once, one line per interval", () => {
  const blocks: string[] = [];
  const view = new LiveView({
    tty: false,
    block: { update: (t) => blocks.push(t), commit: () => {} },
    columns: () => undefined,
    endpointNames: ["a"],
    runSec: 20,
    warmupSec: 5,
    lateBoundMs: 10,
  });
  const report = (drain = false) =>
    ({ drain, cumulative: { total: 1, failures: 0, late: 0, success: 1, sent: 1 } }) as IntervalReport;
  const row = (t: number, warmup: boolean) => ({ t_sec: t, warmup, total: 1 }) as IntervalSummary;
  view.onInterval(report(), row(-2, true));
  view.onInterval(report(), row(0, true));
  view.onInterval(report(), row(3, false));
  view.onInterval(report(), row(6, false));
  view.onInterval(report(true), row(7, false));
  const lines = blocks.join("\n").split("\n");
  assert.equal(lines.filter((l) => l.startsWith("Elapsed")).length, 1, "header once");
  assert.equal(lines.filter((l) => l.startsWith("— warm-up over")).length, 1);
  assert.equal(lines.filter((l) => /^\d+s /.test(l)).length, 4, "4 intervals, the drain not shown");
  // A second does not draw anything off a terminal.
  view.onSecond({ t_sec: 1, span_sec: 1, target_rpm: 60, in_flight: 0 } as never, {
    overall: new Stats(),
    endpoints: [new Stats()],
  });
  assert.equal(blocks.length, 4);
});

Deno.test("LiveView on a terminal: one redraw a second, fitted to the terminal's width as it is now", () => {
  const blocks: string[] = [];
  let columns = 80;
  const view = new LiveView({
    tty: true,
    block: { update: (t) => blocks.push(t), commit: () => {} },
    columns: () => columns,
    endpointNames: ["course_view"],
    runSec: 20,
    warmupSec: 0,
    lateBoundMs: 10,
  });
  const overall = new Stats();
  const endpoint = new Stats();
  const hook = view.onRequest()!;
  for (let i = 0; i < 20; i++) {
    overall.record(40_000, 30_000, 200, 100, -1, undefined);
    endpoint.record(40_000, 30_000, 200, 100, -1, undefined);
    hook({ ...entry(0, 40), lateness_ms: i < 3 ? 50 : 0 });
  }
  view.onInterval({ drain: false } as IntervalReport, { warmup: false } as IntervalSummary);
  assert.equal(blocks.length, 0, "intervals draw nothing on a terminal");
  const point = { t_sec: 1, span_sec: 1, target_rpm: 1200, in_flight: 2 } as never;
  view.onSecond(point, { overall, endpoints: [endpoint] });
  columns = 120;
  view.onSecond(point, { overall, endpoints: [endpoint] });
  assert.equal(blocks.length, 2);
  assert.match(blocks[0], /^Last 1 s +1200 +1200 +20 +0 +40\.0/m);
  assert.match(blocks[0], /late 3 /);
  assert.match(blocks[0], /^course_view +20 +100%/m);
  assert.doesNotMatch(blocks[0], /Max ms/);
  assert.match(blocks[1], /Max ms/, "resized to 120 columns: the wide layout");
});

Deno.test("wrapAtSpaces: long prose lines break at spaces within the width", () => {
  const text = `short\n${"word ".repeat(40).trim()}`;
  const wrapped = wrapAtSpaces(text, 30);
  for (const line of wrapped.split("\n")) assert.ok(line.length <= 30, line);
  assert.equal(wrapped.replace(/\n +/g, " "), text);
});

Deno.test("renderLiveScreen: a journeys section sits under the core tables, cut to the terminal's width", () => {
  const rows = [{
    name: "forum-post-with-a-very-long-journey-name-that-would-wrap-an-80-column-terminal",
    started: 12,
    completed: 9,
    failed: 1,
    failed_by: { reply: { check_failed: 1 } },
    duration_ms: { p50: 1500, p95: 2500 },
    think_ms: { p50: 900, p95: 1400 },
  }];
  const text = renderLiveScreen(busyScreen({}), 80, [() => journeyTables(rows), () => undefined]);
  const lines = text.split("\n");
  const head = lines.findIndex((line) => /^Journey +Started +Done +Failed/.test(line));
  assert.ok(head > 0, text);
  assert.ok(lines.slice(0, head).some((line) => /^Top endpoints/.test(line)), "under the endpoint table");
  assert.ok(lines.every((line) => line.length <= 80), text);
});
