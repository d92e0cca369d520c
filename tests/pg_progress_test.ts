/** `db restore` / `db snapshot` progress in a CI log: a line every 10 s, never one per update. */
import assert from "node:assert/strict";
import { LOG_EVERY_MS, ToolProgress } from "../src/pg/progress.ts";

function capture() {
  const lines: string[] = [];
  const out = {
    writeSync: (bytes: Uint8Array) => {
      lines.push(...new TextDecoder().decode(bytes).split("\n").filter((l) => l !== ""));
      return bytes.length;
    },
  };
  return { lines, out: out as unknown as typeof Deno.stdout };
}

Deno.test("ToolProgress off a terminal: a 10-minute restore updated every 50 ms logs one line per 10 s", () => {
  let nowMs = 0;
  const { lines, out } = capture();
  const bar = new ToolProgress(false, out, () => nowMs);
  // 5 s of dropping (a changing count), then 12 000 entries over 595 s, one update per 50 ms.
  let updates = 0;
  for (; nowMs < 5_000; nowMs += 50, updates++) bar.update(`dropping old objects (${nowMs / 50})`, undefined);
  const total = 12_000;
  for (let done = 0; nowMs < 600_000; nowMs += 50, updates++) {
    done = Math.min(total, Math.floor((nowMs - 5_000) / 595_000 * total));
    bar.update(`restoring ${done}/${total} entries`, done / total, `table_${done}`);
  }
  bar.update(`restoring ${total}/${total} entries`, 1, "", true);
  bar.done();
  assert.ok(updates > 11_000, `${updates} updates`);
  // One line when each phase starts, one per 10 s after it, and the last state.
  const bound = 600_000 / LOG_EVERY_MS + 2 + 1;
  assert.ok(lines.length <= bound, `${lines.length} lines (bound ${bound}):\n${lines.join("\n")}`);
  assert.ok(lines.length >= 600_000 / LOG_EVERY_MS - 1, `a line at least every 10 s: ${lines.length}`);
  assert.match(lines[0], /dropping old objects \(0\)/);
  assert.ok(lines.some((l) => /^ {2}restoring 0\/12000 entries/.test(l)), "the new phase at once");
  assert.match(lines.at(-1)!, /restoring 12000\/12000 entries \[#+\] 100% 10m00s$/);
  assert.ok(lines.every((l) => !l.includes("table_")), "the current table is a terminal-only detail");
});

Deno.test("ToolProgress off a terminal: nothing changed, nothing printed; the forced last state once", () => {
  let nowMs = 0;
  const { lines, out } = capture();
  const bar = new ToolProgress(false, out, () => nowMs);
  for (; nowMs < 60_000; nowMs += 100) bar.update("restoring 5/10 entries", 0.5);
  bar.update("restoring 5/10 entries", 0.5, "", true);
  assert.equal(lines.length, 1, lines.join("\n"));
});

Deno.test("ToolProgress on a terminal: redrawn in place at most every 150 ms", () => {
  let nowMs = 0;
  const { lines, out } = capture();
  const bar = new ToolProgress(true, out, () => nowMs);
  for (; nowMs < 3_000; nowMs += 10) bar.update(`restoring ${nowMs}/3000 entries`, nowMs / 3000);
  assert.ok(lines.length <= 3_000 / 150 + 1 && lines.length >= 15, `${lines.length} redraws`);
});
