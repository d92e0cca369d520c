/**
 * The fast local target of bench_load.ts: a small static page (2 KB) at `/` and a 200 KB Moodle-sized
 * page at `/200k` (Moodle's perf footer followed by ~107 KB of JavaScript, as on Moodle 4.3 pages:
 * the footer search reads that text, so it is made of ordinary JS words, not filler bytes), and the
 * same page gzip-compressed at `/200k.gz` (as a Moodle site serves it); prints its port.
 */
import { perfFooterHtml } from "../src/demo/perf_footer_html.ts";

const encoder = new TextEncoder();
const small = encoder.encode("<!DOCTYPE html><html><body>" + "x".repeat(2000) + "</body></html>");
const footer = perfFooterHtml({
  timeUsedSec: 0.1,
  memoryBytes: 6e6,
  memoryPeakBytes: 7e6,
  includedFiles: 500,
  getStringCalls: 600,
  dbReads: 30,
  dbWrites: 1,
  dbTimeSec: 0.01,
  sessionSizeBytes: 4000,
  sessionWaitSec: 0.001,
});
/** End-of-page JavaScript in the manner of Moodle's (strings, require calls, config). */
const script = Array.from(
  { length: 700 },
  (_, i) =>
    `M.util.js_pending('core/first_${i}'); require(['core/first'], function() { ` +
    `require(['theme_boost/loader', 'core/notification'], function(loader, notification) { ` +
    `M.str = {"moodle": {"lastmodified": "Last modified", "name": "Name", "error": "Error"}}; ` +
    `M.util.js_complete('core/first_${i}'); }); });\n`,
).join("").slice(0, 107_000);
const big = encoder.encode(
  `<!DOCTYPE html><html><head><title>Dashboard</title></head><body id="page-my-index" class="path-my">` +
    `<p>${"Course content, activities and forum posts. ".repeat(2_000).slice(0, 84_000)}</p>${footer}` +
    `<script>${script}</script></body></html>`,
);
const bigGzip = new Uint8Array(
  await new Response(new Blob([big]).stream().pipeThrough(new CompressionStream("gzip"))).arrayBuffer(),
);
const headers = { "content-type": "text/html; charset=utf-8" };
const gzipHeaders = { ...headers, "content-encoding": "gzip" };
const server = Deno.serve(
  { hostname: "127.0.0.1", port: 0, onListen: () => {} },
  (request) =>
    request.url.endsWith("/200k")
      ? new Response(big, { headers })
      : request.url.endsWith("/200k.gz")
      ? new Response(bigGzip, { headers: gzipHeaders })
      : new Response(small, { headers }),
);
console.log(server.addr.port);
