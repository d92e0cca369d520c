/**
 * Response bodies are read as a bounded stream: a huge or endless body ends at --max-body as
 * `body_too_large` (with its byte count) without holding the page, and the perf footer at the end
 * of a large page is still found. A real HTTP(S) server on 127.0.0.1 serves the bodies.
 */
import assert from "node:assert/strict";
import { createMoodleUser } from "../src/moodle/user.ts";
import { createTransport } from "../src/moodle/transport/create.ts";
import { BodyCollector, BodyTooLargeError, HEAD_BYTES, TAIL_BYTES } from "../src/moodle/transport/body.ts";
import { perfFooterHtml } from "../src/demo/perf_footer_html.ts";
import { makeSelfSignedCert } from "./helpers/tls.ts";
import type { Transport } from "../src/moodle/transport/types.ts";

const MiB = 1024 * 1024;
const CHUNK = new Uint8Array(64 * 1024).fill(0x61);

/** A stream of `totalBytes` (Infinity: endless) in 64 KB chunks, made as it is read. */
function bodyStream(totalBytes: number): ReadableStream<Uint8Array> {
  let sent = 0;
  return new ReadableStream({
    pull(controller) {
      if (sent >= totalBytes) return controller.close();
      const chunk = totalBytes - sent >= CHUNK.byteLength ? CHUNK : CHUNK.subarray(0, totalBytes - sent);
      sent += chunk.byteLength;
      controller.enqueue(chunk);
    },
  });
}

/** 5 MB of HTML with Moodle's footer near the end, followed by ~107 KB of script as on Moodle 4.3. */
function footerPage(): string {
  const footer = perfFooterHtml({
    timeUsedSec: 0.25,
    memoryBytes: 6 * MiB,
    memoryPeakBytes: 7 * MiB,
    includedFiles: 508,
    getStringCalls: 617,
    dbReads: 34,
    dbWrites: 2,
    dbTimeSec: 0.019,
    sessionSizeBytes: 4500,
    sessionWaitSec: 0.001,
  });
  return `<!DOCTYPE html><html><head><title>Big</title></head><body id="page-course-view-topics">` +
    `<p>${"x".repeat(5 * 1000 * 1000)}</p>${footer}<script>${"//js\n".repeat(107 * 1024 / 5)}</script>` +
    `</body></html>`;
}

function handler(request: Request): Response {
  const path = new URL(request.url).pathname;
  const html = { "content-type": "text/html; charset=utf-8" };
  if (path === "/big") return new Response(bodyStream(200 * 1000 * 1000), { headers: html });
  if (path === "/endless") return new Response(bodyStream(Infinity), { headers: html });
  if (path === "/footer") return new Response(footerPage(), { headers: html });
  return new Response("not found", { status: 404 });
}

async function withServer(
  tls: boolean,
  fn: (url: string, transport: Transport) => Promise<void>,
): Promise<void> {
  const cert = tls ? await makeSelfSignedCert() : undefined;
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {}, ...(cert ? { cert: cert.cert, key: cert.key } : {}) },
    handler,
  );
  const transport = await createTransport({ insecure: tls });
  try {
    await fn(`${tls ? "https" : "http"}://127.0.0.1:${server.addr.port}`, transport);
  } finally {
    transport.close();
    await server.shutdown();
    if (cert) await Deno.remove(cert.dir, { recursive: true });
  }
}

function pageUser(url: string, transport: Transport, maxBodyBytes?: number) {
  return createMoodleUser({ baseUrl: url, username: "u", password: "p", transport, maxBodyBytes });
}

for (const tls of [false, true]) {
  const kind = tls ? "node:https (--insecure)" : "fetch";
  Deno.test(`${kind}: a 200 MB body with --max-body 1M fails as body_too_large, memory stays low`, async () => {
    await withServer(tls, async (url, transport) => {
      const user = pageUser(url, transport, MiB);
      const before = Deno.memoryUsage().rss;
      const results = await Promise.all([1, 2, 3, 4].map(() => user.session.request(`${url}/big`)));
      const grownMb = (Deno.memoryUsage().rss - before) / MiB;
      for (const result of results) {
        assert.equal(result.errorClass, "body_too_large");
        assert.equal(result.status, 200);
        assert.ok(result.bytes > MiB && result.bytes < 2 * MiB, `${result.bytes} bytes counted`);
        assert.match(result.errorMessage!, /larger than the 1048576-byte limit.*stopped after \d+ bytes/);
      }
      assert.ok(grownMb < 100, `RSS grew by ${grownMb.toFixed(0)} MB`);
      const page = await user.get(`${url}/big`);
      assert.deepEqual([page.status, page.errorClass], [200, "body_too_large"]);
      assert.match(page.errorMessage!, /stopped after \d+ bytes \(GET http/);
    });
  });

  Deno.test(`${kind}: an endless chunked body ends at --max-body, not at the request timeout`, async () => {
    await withServer(tls, async (url, transport) => {
      const user = pageUser(url, transport, 4 * MiB);
      const started = performance.now();
      const page = await user.get(`${url}/endless`, { timeoutMs: 60_000 });
      const tookMs = performance.now() - started;
      assert.equal(page.errorClass, "body_too_large");
      assert.ok(page.bytes > 4 * MiB && page.bytes < 5 * MiB, `${page.bytes} bytes`);
      assert.ok(tookMs < 20_000, `took ${tookMs.toFixed(0)} ms`);
    });
  });
}

Deno.test("the perf footer is parsed on a 5 MB page with the footer near its end", async () => {
  await withServer(false, async (url, transport) => {
    const page = await pageUser(url, transport).get(`${url}/footer`);
    assert.equal(page.errorClass, undefined);
    assert.ok(page.bytes > 5_000_000);
    assert.equal(page.perf?.dbReads, 34);
    assert.equal(page.perf?.timeUsedSec, 0.25);
  });
});

Deno.test("BodyCollector: keeps the first and last bytes only, the whole body on request, stops past the limit", () => {
  const chunks = Array.from({ length: 40 }, (_, i) => new Uint8Array(16 * 1024).fill(i));
  const partial = new BodyCollector({ maxBodyBytes: 10 * MiB });
  for (const chunk of chunks) partial.push(chunk);
  const body = partial.finish();
  assert.equal(body.bytes, 40 * 16 * 1024);
  assert.equal(body.whole, undefined);
  assert.equal(body.head.byteLength, HEAD_BYTES);
  assert.equal(body.tail.byteLength, TAIL_BYTES);
  assert.deepEqual([body.head[0], body.head.at(-1), body.tail[0], body.tail.at(-1)], [0, 3, 24, 39]);
  const whole = new BodyCollector({ keepWhole: true });
  for (const chunk of chunks) whole.push(chunk);
  assert.equal(whole.finish().whole?.byteLength, 40 * 16 * 1024);
  const limited = new BodyCollector({ maxBodyBytes: 100_000 });
  assert.throws(() => chunks.forEach((chunk) => limited.push(chunk)), (error: unknown) => {
    assert.ok(error instanceof BodyTooLargeError);
    assert.equal(error.readBytes, 7 * 16 * 1024);
    return true;
  });
});
