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
