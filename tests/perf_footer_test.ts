import assert from "node:assert/strict";
import { parseDisplaySize, parsePerfFooter, PerfFooterScanner } from "../src/moodle/perf_footer.ts";
import { displaySize } from "../src/demo/mod.ts";

/** Exactly as docs/moodle-protocol.md shows it (seen on a 4.3 site), inside its container. */
const SNIPPET = `<div class="performanceinfo siteinfo container-fluid px-md-0 overflow-auto pt-3">
<ul class="list-unstyled row mx-md-0"><li class="timeused col-sm-4">0.107928 secs</li>
<li class="memoryused col-sm-4">RAM: 6.4 MB</li> <li class="memoryused col-sm-4">RAM peak: 7.4 MB</li></ul>
<ul class="list-unstyled row mx-md-0"><li class="included col-sm-4">Included 508 files</li>
<li class='langcountgetstring col-sm-4'>get_string calls: 617 </li>
<li class="dbqueries col-sm-4">DB reads/writes: 34/2</li>
<li class="dbtime col-sm-4">DB queries time: 0.01915 secs</li>
<li class="serverload col-sm-4">Load average: 0.15</li>
<li class="serverload col-sm-4"><div class="sessionsize">Session (core\\session\\file): 4.4 KB</div></li>
<li class="sessionwait col-sm-4">Session wait: 0.000 secs</li></ul>
<table class="cachesused table"><tr><td>core/config</td><td>12</td></tr></table></div>`;

const page = (footer: string, tail = "") =>
  `<!DOCTYPE html><html><head><title>x</title></head><body><div id="page">${
    "<p>content</p>".repeat(500)
  }</div><footer>${footer}</footer>${tail}</body></html>`;

Deno.test("the footer from moodle-protocol.md parses into every figure", () => {
  assert.deepEqual(parsePerfFooter(page(SNIPPET)), {
    timeUsedSec: 0.107928,
    memoryUsedBytes: Math.round(6.4 * 1024 * 1024),
    memoryPeakBytes: Math.round(7.4 * 1024 * 1024),
    includedFiles: 508,
    dbReads: 34,
    dbWrites: 2,
    dbTimeSec: 0.01915,
    sessionWaitSec: 0,
  });
});

Deno.test("display_size units: bytes, KB, MB, GB, with or without a space", () => {
  assert.equal(parseDisplaySize("12 bytes"), 12);
  assert.equal(parseDisplaySize("980 KB"), 980 * 1024);
  assert.equal(parseDisplaySize("RAM: 6.4 MB"), Math.round(6.4 * 1024 ** 2));
  assert.equal(parseDisplaySize("RAM: 6.4MB"), Math.round(6.4 * 1024 ** 2));
  assert.equal(parseDisplaySize("1.5 GB"), Math.round(1.5 * 1024 ** 3));
  assert.equal(parseDisplaySize("no size here"), undefined);
  // The demo server prints what the parser reads back.
  for (const bytes of [12, 980 * 1024, 6_710_886, 3 * 1024 ** 3]) {
    const again = parseDisplaySize(displaySize(bytes))!;
    assert.ok(Math.abs(again - bytes) / bytes < 0.01, `${bytes} → ${displaySize(bytes)} → ${again}`);
  }
});

Deno.test("absence, partial footers, other versions and a trailing pageinfo note", () => {
  assert.equal(parsePerfFooter(page("")), undefined);
  assert.equal(parsePerfFooter(""), undefined);
  // Only some items (older/newer versions vary): what is there is read, the rest stays absent.
  assert.deepEqual(
    parsePerfFooter(
      page(`<div class="performanceinfo"><span class="dbqueries">DB reads/writes: 120/7</span></div>`),
    ),
    { dbReads: 120, dbWrites: 7 },
  );
  // Older display_size without a space, and a RAM-only line.
  assert.deepEqual(
    parsePerfFooter(
      page(`<div class="performanceinfo siteinfo"><span class="memoryused">RAM: 980KB</span></div>`),
    ),
    { memoryUsedBytes: 980 * 1024 },
  );
  // A `performanceinfo pageinfo` note after the figures (debugpageinfo) does not hide them.
  const withNote = page(
    SNIPPET + `<div class="performanceinfo pageinfo">This page is: General type: site.</div>`,
  );
  assert.equal(parsePerfFooter(withNote)?.dbReads, 34);
  // A long script block after the footer (Moodle's end-of-body JS) is fine too.
  assert.equal(
    parsePerfFooter(page(SNIPPET, `<script>${"var a = 1;\n".repeat(5000)}</script>`))?.timeUsedSec,
    0.107928,
  );
  // The marker in text with no figures.
  assert.equal(parsePerfFooter(page(`<p>performanceinfo is a class name</p>`)), undefined);
});

Deno.test("the scanner reads only HTML bodies", () => {
  const perfFromBody = (body: Uint8Array, type: string | null) => new PerfFooterScanner().scan(body, type);
  const body = new TextEncoder().encode(page(SNIPPET));
  assert.equal(perfFromBody(body, "text/html; charset=utf-8")?.dbWrites, 2);
  assert.equal(perfFromBody(body, "application/json"), undefined);
  assert.equal(perfFromBody(body, null), undefined);
  assert.equal(perfFromBody(new Uint8Array(0), "text/html"), undefined);
  assert.equal(perfFromBody(new TextEncoder().encode(page("")), "text/html"), undefined);
});

Deno.test("the scanner samples sites that print no footer and resumes when one appears", () => {
  const scanner = new PerfFooterScanner(3, 4);
  const html = "text/html";
  const withFooter = new TextEncoder().encode(page(SNIPPET));
  const without = new TextEncoder().encode(page(""));
  assert.equal(scanner.scan(withFooter, html)?.dbReads, 34);
  for (let i = 0; i < 3; i++) assert.equal(scanner.scan(without, html), undefined);
  assert.equal(scanner.sampling, true);
  // While sampling, 3 of every 4 pages are skipped even if they carry a footer…
  const seen = [1, 2, 3, 4].map(() => scanner.scan(withFooter, html)?.dbReads);
  assert.deepEqual(seen, [undefined, undefined, undefined, 34]);
  // …and the first footer found ends sampling.
  assert.equal(scanner.sampling, false);
  assert.equal(scanner.scan(withFooter, html)?.dbReads, 34);
  assert.equal(scanner.scan(withFooter, "application/json"), undefined);
});
