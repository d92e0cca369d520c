import assert from "node:assert/strict";
import { createMoodleUser } from "../src/moodle/user.ts";
import { HttpSession } from "../src/moodle/session.ts";
import { createTransport } from "../src/moodle/transport/create.ts";
import type { Transport } from "../src/moodle/transport/types.ts";
import { ROOT } from "./helpers/cli.ts";
import { withDemo } from "./helpers/demo.ts";
import { makeSelfSignedCert } from "./helpers/tls.ts";

const PW = "Tls-pass-1";
const users = [{ username: "u1", password: PW }];
const cert = await makeSelfSignedCert();

const login = (url: string, transport: Transport) =>
  createMoodleUser({
    baseUrl: url,
    username: "u1",
    password: PW,
    transport,
    maxRetries: 2,
    sleep: () => Promise.resolve(),
  });

Deno.test("HTTPS with a self-signed certificate: without a flag the failure is classified tls", async () => {
  await withDemo({ users, tls: cert, sitePath: "/moodle" }, async (demo) => {
    assert.ok(demo.url.startsWith("https://127.0.0.1:"));
    const transport = await createTransport({});
    assert.equal(transport.kind, "fetch");
    const page = await new HttpSession(transport).request(`${demo.url}/login/index.php`);
    assert.equal(page.errorClass, "tls", page.errorMessage);
    assert.equal(page.status, 0);
    const outcome = await login(demo.url, transport).login();
    assert.equal(outcome.reason, "network");
    assert.match(outcome.detail ?? "", /^TLS: /);
    assert.equal(outcome.attempts, 1, "a certificate problem is not retried");
    assert.equal(demo.counters.requests, 0);
  });
});

Deno.test("--ca-cert: the private CA is trusted with normal verification", async () => {
  await withDemo({ users, tls: cert, sitePath: "/moodle", pageBytes: 30_000 }, async (demo) => {
    const transport = await createTransport({ caCertPem: cert.cert });
    try {
      assert.equal(transport.kind, "ca-cert");
      const user = login(demo.url, transport);
      const outcome = await user.login();
      assert.equal(outcome.ok, true, outcome.detail);
      const cookie = user.session.jar.getCookiesSync(`${demo.url}/my/`)[0];
      assert.equal(cookie.secure, true, "the session cookie is Secure on https");
      const page = await user.get(`${demo.url}/mod/page/view.php?id=3`);
      assert.equal(page.status, 200);
      assert.ok(page.bytes > 25_000);
      // Verification is still on: the name must match the certificate.
      const wrongName = await new HttpSession(transport).request(`https://127.0.0.2:${demo.port}/moodle/`);
      assert.ok(wrongName.errorClass === "tls" || wrongName.errorClass === "connect", wrongName.errorMessage);
    } finally {
      transport.close();
    }
  });
});

Deno.test("--insecure: node:https transport logs in, follows redirects, reads bodies, honours timeouts", async () => {
  await withDemo(
    { users, tls: cert, latencyByPath: { "/user/edit.php": 400 }, pageBytes: 40_000 },
    async (demo) => {
      const transport = await createTransport({ insecure: true, caCertPem: "ignored when insecure" });
      try {
        assert.equal(transport.kind, "insecure");
        const user = login(demo.url, transport);
        const outcome = await user.login();
        assert.equal(outcome.ok, true, outcome.detail);
        const page = await user.get(`${demo.url}/course/view.php?id=4`);
        assert.equal(page.status, 200);
        assert.ok(page.bytes >= 39_000 && page.bytes <= 40_500, `${page.bytes} bytes`);
        assert.equal(page.perf?.dbReads, 57);
        const slow = await user.get(`${demo.url}/user/edit.php`, { timeoutMs: 100 });
        assert.equal(slow.errorClass, "timeout", slow.errorMessage);
        demo.expireAllSessions();
        assert.equal((await user.get(`${demo.url}/my/`)).errorClass, "session_lost");
      } finally {
        transport.close();
      }
    },
  );
  // Plain http:// still works through the insecure transport.
  await withDemo({ users, pageBytes: 5_000 }, async (demo) => {
    const transport = await createTransport({ insecure: true });
    try {
      assert.equal((await login(demo.url, transport).login()).ok, true);
    } finally {
      transport.close();
    }
  });
});

Deno.test("--insecure works under plain `deno run` with no certificate flag", async () => {
  await withDemo({ users, tls: cert, pageBytes: 5_000 }, async (demo) => {
    const script = `${cert.dir}/probe.ts`;
    await Deno.writeTextFile(
      script,
      `import { createTransport } from "${ROOT}src/moodle/transport/create.ts";\n` +
        `const t = await createTransport({ insecure: true });\n` +
        `const r = await t.request({ method: "GET", url: Deno.args[0] });\n` +
        `console.log(r.status, r.setCookies.length, r.body.bytes > 1000);\nt.close();\n`,
    );
    const output = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--quiet", "--no-prompt", "--allow-net=127.0.0.1", script, `${demo.url}/login/index.php`],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(output.stderr);
    assert.equal(output.code, 0, stderr);
    assert.equal(new TextDecoder().decode(output.stdout).trim(), "200 1 true");
  });
});

Deno.test({
  name: "remove the test certificate",
  fn: () => Deno.remove(cert.dir, { recursive: true }),
});
