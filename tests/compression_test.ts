/**
 * Compression as a browser has it: requests carry `Accept-Encoding: gzip, deflate, br` (identity with
 * `--no-compression`), gzip/deflate/br bodies are decoded by both transports, and wire bytes are
 * counted apart from decoded bytes. Real HTTP(S) servers on 127.0.0.1 serve the bodies.
 */
import assert from "node:assert/strict";
import { brotliCompressSync, deflateRawSync, deflateSync, gzipSync } from "node:zlib";
import { createTransport } from "../src/moodle/transport/create.ts";
import { HttpSession } from "../src/moodle/session.ts";
import { createMoodleUser } from "../src/moodle/user.ts";
import { acceptsGzip } from "../src/demo/compress.ts";
import { DEFAULT_DEMO_PASSWORD, defaultDemoUsers } from "../src/demo/mod.ts";
import { demoRunConfig } from "../src/demo/config.ts";
import { runCli } from "./helpers/cli.ts";
import { withDemo } from "./helpers/demo.ts";
import { makeSelfSignedCert } from "./helpers/tls.ts";

const PAGE = new TextEncoder().encode(
  `<!DOCTYPE html><html><body id="page-my-index">${"<p>hello moodle</p>".repeat(5000)}` +
    `<script>M.cfg = {"sesskey":"AbCdEf1234"};</script></body></html>`,
);
const ENCODED: Record<string, [string, Uint8Array<ArrayBuffer>]> = {
  gzip: ["gzip", new Uint8Array(gzipSync(PAGE))],
  deflate: ["deflate", new Uint8Array(deflateSync(PAGE))],
  "deflate-raw": ["deflate", new Uint8Array(deflateRawSync(PAGE))],
  br: ["br", new Uint8Array(brotliCompressSync(PAGE))],
};

/** Serves PAGE encoded as the path says (`/gzip`, `/gzip/chunked`, …) and records Accept-Encoding. */
async function withEncodingServer(
  tls: boolean,
  fn: (url: string, seen: (string | null)[]) => Promise<void>,
): Promise<void> {
  const cert = tls ? await makeSelfSignedCert() : undefined;
  const seen: (string | null)[] = [];
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {}, ...(cert ? { cert: cert.cert, key: cert.key } : {}) },
    (request) => {
      seen.push(request.headers.get("accept-encoding"));
      const [, name, chunked] = new URL(request.url).pathname.split("/");
      const html = { "content-type": "text/html; charset=utf-8" };
      if (!(name in ENCODED)) return new Response(PAGE, { headers: html });
      const [coding, bytes] = ENCODED[name];
      const headers = { ...html, "content-encoding": coding };
      if (!chunked) return new Response(bytes, { headers });
      const half = bytes.byteLength >> 1;
      const stream = new ReadableStream({
        start(controller) {
          controller.enqueue(bytes.subarray(0, half));
          controller.enqueue(bytes.subarray(half));
          controller.close();
        },
      });
      return new Response(stream, { headers });
    },
  );
  try {
    await fn(`${tls ? "https" : "http"}://127.0.0.1:${server.addr.port}`, seen);
  } finally {
    await server.shutdown();
    if (cert) await Deno.remove(cert.dir, { recursive: true });
  }
}

for (const tls of [false, true]) {
  const kind = tls ? "node:https (--insecure)" : "fetch";
  Deno.test(`${kind}: gzip, deflate (zlib and raw) and br bodies are decoded; wire bytes counted apart`, async () => {
    await withEncodingServer(tls, async (url, seen) => {
      const transport = await createTransport({ insecure: tls });
      try {
        const session = new HttpSession(transport);
        for (const name of Object.keys(ENCODED)) {
          for (const chunked of ["", "/chunked"]) {
            const response = await session.request(`${url}/${name}${chunked}`, { keepBody: true });
            const what = `${name}${chunked}`;
            assert.equal(response.errorClass, undefined, `${what}: ${response.errorMessage}`);
            assert.equal(response.bytes, PAGE.byteLength, what);
            assert.deepEqual(response.body.whole, PAGE, what);
            // Deno's fetch decodes gzip and br itself: a chunked one has no known wire size.
            const wireKnown = tls || !chunked || name.startsWith("deflate");
            const expected = wireKnown ? ENCODED[name][1].byteLength : PAGE.byteLength;
            assert.equal(response.wireBytes, expected, what);
          }
        }
        assert.ok(seen.every((value) => value === "gzip, deflate, br"), seen.join(" | "));
        const plain = await new HttpSession(transport, undefined, undefined, false).request(`${url}/plain`);
        assert.equal(seen.at(-1), "identity");
        assert.equal(plain.wireBytes, plain.bytes);
        assert.equal(plain.bytes, PAGE.byteLength);
      } finally {
        transport.close();
      }
    });
  });
}

Deno.test("demo site compresses what a browser asks for; login, sesskey and perf footer still work", async () => {
  await withDemo({ users: defaultDemoUsers(1), pageBytes: 60_000 }, async (demo) => {
    const transport = await createTransport();
    try {
      const user = createMoodleUser({
        baseUrl: demo.url,
        username: "student01",
        password: DEFAULT_DEMO_PASSWORD,
        transport,
      });
      const login = await user.login();
      assert.ok(login.ok, JSON.stringify(login));
      assert.match(user.sesskey ?? "", /^[A-Za-z0-9]{10}$/);
      const page = await user.get(`${demo.url}/my/`);
      assert.equal(page.errorClass, undefined, page.errorMessage);
      assert.ok(page.perf, "perf footer found in the decoded page");
      assert.ok(page.wireBytes! * 3 < page.bytes, `wire ${page.wireBytes} vs decoded ${page.bytes}`);
    } finally {
      transport.close();
    }
  });
  assert.ok(acceptsGzip("br, gzip;q=0.5") && !acceptsGzip("gzip;q=0, br") && !acceptsGzip(null));
});

Deno.test("run through the CLI: wire_bytes < bytes by default, equal with --no-compression", async () => {
  await withDemo({ users: defaultDemoUsers(2), pageBytes: 40_000 }, async (demo) => {
    const dir = await Deno.makeTempDir({ prefix: "moodle_load_gzip_" });
    try {
      const config = `${dir}/config.json`;
      await Deno.writeTextFile(
        config,
        JSON.stringify(demoRunConfig({ url: demo.url, users: defaultDemoUsers(2) })),
      );
      const summaries = [];
      for (const extra of [[], ["--no-compression"]]) {
        const args = ["run", "--config", config, "--rpm", "600", "--duration", "2", "--concurrency", "2"];
        const result = await runCli([...args, "--stats-dir", `${dir}/stats`, "--quiet", "--json", ...extra]);
        assert.equal(result.code, 0, result.stderr);
        summaries.push(JSON.parse(result.stdout));
      }
      const [compressed, plain] = summaries;
      for (const summary of summaries) {
        assert.equal(summary.failures, 0, JSON.stringify(summary.errors));
        assert.ok(summary.total >= 15, `${summary.total} requests`);
        assert.ok(summary.moodle_perf.pages > 0, "perf footer found");
      }
      assert.ok(
        compressed.wire_bytes * 3 < compressed.bytes,
        `${compressed.wire_bytes} vs ${compressed.bytes}`,
      );
      assert.equal(plain.wire_bytes, plain.bytes);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
});
