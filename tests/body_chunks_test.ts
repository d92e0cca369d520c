/**
 * Bodies are kept as the chunks they came in and searched there (no join, no decode of the page):
 * the byte search must find what a string search finds, wherever the chunk boundaries fall, and the
 * footer and `<body` tag must be read the same as from the joined page.
 */
import assert from "node:assert/strict";
import {
  BytePattern,
  chunksLength,
  indexOfChunks,
  lastIndexOfChunks,
  sliceChunks,
} from "../src/moodle/transport/chunks.ts";
import { BodyCollector, HEAD_BYTES, TAIL_BYTES } from "../src/moodle/transport/body.ts";
import { parsePerfFooter, PerfFooterScanner } from "../src/moodle/perf_footer.ts";
import { pageSaysLoggedOut } from "../src/moodle/detour.ts";
import { perfFooterHtml } from "../src/demo/perf_footer_html.ts";
import { seededRandom } from "../src/util/random.ts";

const encoder = new TextEncoder();

/** `bytes` cut at random places into chunks of 1 to `maxChunk` bytes (views, as a stream gives them). */
function cut(bytes: Uint8Array, maxChunk: number, random: () => number): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  for (let at = 0; at < bytes.length;) {
    const size = 1 + Math.floor(random() * maxChunk);
    chunks.push(bytes.subarray(at, at + size));
    at += size;
  }
  return chunks;
}

Deno.test("byte search in chunks finds what a string search finds, across any chunk boundaries", () => {
  const random = seededRandom(7);
  const alphabet = "ab<body";
  for (let round = 0; round < 400; round++) {
    const text = Array.from(
      { length: 1 + Math.floor(random() * 120) },
      () => alphabet[Math.floor(random() * alphabet.length)],
    ).join("");
    const chunks = cut(encoder.encode(text), 1 + Math.floor(random() * 9), random);
    assert.equal(chunksLength(chunks), text.length);
    for (const needle of ["<body", "ab", "b", "aab<b"]) {
      const pattern = new BytePattern(needle);
      const from = Math.floor(random() * text.length);
      const end = from + Math.floor(random() * (text.length - from + 1));
      const window = text.slice(from, end);
      const first = window.indexOf(needle);
      const last = window.lastIndexOf(needle);
      const what = `${JSON.stringify(text)} ${needle} [${from}, ${end})`;
      assert.equal(indexOfChunks(chunks, pattern, from, end), first < 0 ? -1 : from + first, what);
      assert.equal(lastIndexOfChunks(chunks, pattern, from, end), last < 0 ? -1 : from + last, what);
    }
    const a = Math.floor(random() * text.length);
    const b = a + Math.floor(random() * (text.length - a));
    assert.equal(new TextDecoder().decode(sliceChunks(chunks, a, b)), text.slice(a, b));
  }
});

Deno.test("the collector keeps the chunks it was given (no copy); head and tail are joined on demand", () => {
  const chunks = Array.from({ length: 40 }, (_, i) => new Uint8Array(16 * 1024).fill(i));
  const collector = new BodyCollector();
  for (const chunk of chunks) collector.push(chunk);
  const body = collector.finish();
  assert.ok(body.headChunks.every((chunk, i) => chunk === chunks[i]));
  assert.equal(body.tailChunks.at(-1), chunks.at(-1));
  assert.ok(chunksLength(body.headChunks) >= HEAD_BYTES);
  assert.ok(chunksLength(body.tailChunks) >= TAIL_BYTES);
  assert.deepEqual([body.head.byteLength, body.tail.byteLength], [HEAD_BYTES, TAIL_BYTES]);
  assert.deepEqual([body.head[0], body.head.at(-1), body.tail[0], body.tail.at(-1)], [0, 3, 24, 39]);
});

Deno.test("the footer and the visitor's <body> are read from chunks as from the joined page", () => {
  const footer = perfFooterHtml({
    timeUsedSec: 0.31,
    memoryBytes: 6e6,
    memoryPeakBytes: 7e6,
    includedFiles: 512,
    getStringCalls: 600,
    dbReads: 41,
    dbWrites: 3,
    dbTimeSec: 0.02,
    sessionSizeBytes: 4000,
    sessionWaitSec: 0.002,
  });
  const html = `<!DOCTYPE html><html><head><title>é</title></head>` +
    `<body id="page-site-index" class="format-site notloggedin">${"<p>ü x</p>".repeat(30_000)}` +
    `${footer}<script>${"//js ü\n".repeat(20_000)}</script></body></html>`;
  const expected = parsePerfFooter(html);
  assert.equal(expected?.dbReads, 41);
  const random = seededRandom(3);
  for (const maxChunk of [7, 1000, 70_000]) {
    const collector = new BodyCollector();
    for (const chunk of cut(encoder.encode(html), maxChunk, random)) collector.push(chunk);
    const body = collector.finish();
    assert.deepEqual(new PerfFooterScanner().scan(body, "text/html"), expected, `chunks ≤ ${maxChunk}`);
    assert.equal(pageSaysLoggedOut(body.headChunks), true, `chunks ≤ ${maxChunk}`);
  }
  const loggedIn = html.replace(" notloggedin", "");
  const collector = new BodyCollector();
  for (const chunk of cut(encoder.encode(loggedIn), 500, random)) collector.push(chunk);
  assert.equal(pageSaysLoggedOut(collector.finish().headChunks), false);
});
