/**
 * The fast local target of bench_load.ts: a small static page (2 KB) at `/` and a 200 KB Moodle-sized
 * page at `/200k` (Moodle's perf footer near its end, as MoodleUser reads it); prints its port.
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
const big = encoder.encode(
  `<!DOCTYPE html><html><body id="page-my-index"><p>${"x".repeat(150_000)}</p>${footer}` +
    `<script>${"//js\n".repeat(9_000)}</script></body></html>`,
);
const headers = { "content-type": "text/html; charset=utf-8" };
const server = Deno.serve(
  { hostname: "127.0.0.1", port: 0, onListen: () => {} },
  (request) => new Response(request.url.endsWith("/200k") ? big : small, { headers }),
);
console.log(server.addr.port);
