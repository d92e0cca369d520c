import assert from "node:assert/strict";
import { classifyError, classifyStatus, errorText } from "../src/engine/classify.ts";
import { backoffDelayMs, classifyLanding, tlsHint } from "../src/moodle/login_outcome.ts";
import { HttpSession } from "../src/moodle/session.ts";
import { createMoodleUser } from "../src/moodle/user.ts";
import { createFetchTransport } from "../src/moodle/transport/fetch.ts";
import { timeoutSignal } from "../src/moodle/deadline.ts";
import { withServer } from "./helpers/server.ts";

/** A tiny server with scripted redirects, to check the session's hop handling. */
async function withRedirectServer(fn: (base: string, seen: string[]) => Promise<void>) {
  const seen: string[] = [];
  await withServer(async (request) => {
    const url = new URL(request.url);
    const body = request.method === "POST" ? await request.text() : "";
    seen.push(
      `${request.method} ${url.pathname}${url.search} cookie=${request.headers.get("cookie") ?? ""} ${body}`,
    );
    const redirect = (status: number, location: string, cookie?: string) =>
      new Response("r".repeat(10), {
        status,
        headers: { location, ...(cookie ? { "set-cookie": cookie } : {}) },
      });
    switch (url.pathname) {
      case "/a/start":
        return redirect(303, "/a/next", "s=1; path=/a/");
      case "/a/next":
        return redirect(302, "next2", "s=2; path=/a/"); // relative Location
      case "/a/next2":
        return new Response("x".repeat(100), { headers: { "set-cookie": "t=3; path=/" } });
      case "/keep":
        return redirect(307, "/echo");
      case "/echo":
        return new Response(body);
      case "/loop":
        return redirect(302, "/loop");
      case "/slow":
        await new Promise((resolve) => setTimeout(resolve, 400));
        return new Response("late");
      default:
        return new Response("nope", { status: 404 });
    }
  }, (base) => fn(base, seen));
}

Deno.test("redirects are followed by hand: every hop's cookies reach the jar, bytes add up", async () => {
  await withRedirectServer(async (base, seen) => {
    const session = new HttpSession(createFetchTransport());
    const response = await session.request(`${base}/a/start`, { form: { x: "1" } });
    assert.equal(response.status, 200);
    assert.equal(response.finalUrl, `${base}/a/next2`);
    assert.equal(response.bytes, 10 + 10 + 100);
    assert.equal(response.body.bytes, 100);
    assert.deepEqual(response.hops.map((h) => [h.method, h.status]), [["POST", 303], ["GET", 302], [
      "GET",
      200,
    ]]);
    // 303 turns the POST into a GET; the cookie set on hop 1 is replaced on hop 2 and sent on hop 3.
    assert.deepEqual(seen, [
      "POST /a/start cookie= x=1",
      "GET /a/next cookie=s=1 ",
      "GET /a/next2 cookie=s=2 ",
    ]);
    assert.equal(session.cookieHeader(`${base}/a/x`), "s=2; t=3");
    assert.equal(session.cookieHeader(`${base}/b/`), "t=3", "path-scoped cookie stays under /a/");
    assert.equal(session.cookieValue(`${base}/a/`, /^s$/), "2");
    session.reset();
    assert.equal(session.cookieHeader(`${base}/a/x`), "");
  });
});

Deno.test("307 keeps the method and body; too many redirects and stopBefore end the chain", async () => {
  await withRedirectServer(async (base) => {
    const session = new HttpSession(createFetchTransport());
    const echoed = await session.request(`${base}/keep`, { form: { a: "b" } });
    assert.equal(new TextDecoder().decode(echoed.body.head), "a=b");
    const loop = await session.request(`${base}/loop`, { maxRedirects: 3 });
    assert.equal(loop.errorClass, "unexpected_status");
    assert.equal(loop.hops.length, 4);
    assert.match(loop.errorMessage ?? "", /more than 3 redirects/);
    const stopped = await session.request(`${base}/a/start`, {
      stopBefore: (next) => next.pathname === "/a/next",
    });
    assert.equal(stopped.stopped, true);
    assert.equal(stopped.finalUrl, `${base}/a/next`);
    assert.equal(stopped.status, 303);
    assert.equal(stopped.hops.length, 1);
  });
});

Deno.test("timeouts abort the request and are classified; shared deadline signals per window", async () => {
  await withRedirectServer(async (base) => {
    const session = new HttpSession(createFetchTransport());
    const started = performance.now();
    const slow = await session.request(`${base}/slow`, { timeoutMs: 100 });
    const took = performance.now() - started;
    assert.equal(slow.errorClass, "timeout", slow.errorMessage);
    assert.ok(took >= 95 && took < 380, `aborted after ${took} ms`);
  });
  // Requests starting in the same window share one signal; later windows get their own.
  assert.equal(timeoutSignal(2000, 1000), timeoutSignal(2000, 1050));
  assert.notEqual(timeoutSignal(2000, 1000), timeoutSignal(2000, 1150));
  assert.notEqual(timeoutSignal(2000, 1000), timeoutSignal(3000, 1000));
});

Deno.test("error classification from what Deno and node:https actually throw", () => {
  const deno = (message: string, cause?: string): Error =>
    new TypeError(message, { cause: cause ? new Error(cause) : undefined });
  const tls = deno(
    "fetch failed",
    "error sending request for url (https://127.0.0.1:4/): client error (Connect): invalid peer certificate: UnknownIssuer",
  );
  assert.equal(classifyError(tls).errorClass, "tls");
  assert.equal(
    classifyError(deno("", "client error (Connect): tcp connect error: Connection refused (os error 111)"))
      .errorClass,
    "connect",
  );
  assert.equal(
    classifyError(new DOMException("The operation was aborted due to timeout", "TimeoutError")).errorClass,
    "timeout",
  );
  const node = Object.assign(new Error("self-signed certificate"), { code: "DEPTH_ZERO_SELF_SIGNED_CERT" });
  assert.equal(classifyError(node).errorClass, "tls");
  assert.equal(
    classifyError(Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:1"), { code: "ECONNREFUSED" }))
      .errorClass,
    "connect",
  );
  assert.equal(
    classifyError(Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET" })).errorClass,
    "connect",
  );
  assert.equal(classifyError(new Error("something odd")).errorClass, "other");
  // Words inside the quoted URL do not count.
  const refusedAtTlsHost = deno(
    "fetch failed",
    "error sending request for url (https://tls.example.org/timeout/): client error (Connect): tcp connect error: Connection refused",
  );
  assert.equal(classifyError(refusedAtTlsHost).errorClass, "connect");
  assert.equal(errorText(tls), `fetch failed: ${(tls.cause as Error).message}`);
  assert.deepEqual([200, 302, 404, 418, 500, 503].map(classifyStatus), [
    "unexpected_status",
    "unexpected_status",
    "http_4xx",
    "http_4xx",
    "http_5xx",
    "http_5xx",
  ]);
});

Deno.test("landing classification names each Moodle detour; backoff grows and stays jittered", () => {
  const base = { status: 200, onLoginPage: false, urls: ["https://h/m/login/index.php"] };
  const reason = (finalUrl: string, extra: Partial<Parameters<typeof classifyLanding>[0]> = {}) =>
    classifyLanding({ ...base, finalUrl, ...extra }).reason ?? "ok";
  assert.equal(reason("https://h/m/my/"), "ok");
  assert.equal(reason("https://h/m/login/change_password.php"), "password_change_forced");
  assert.equal(reason("https://h/m/user/edit.php"), "profile_incomplete");
  assert.equal(reason("https://h/m/user/policy.php"), "policy_not_accepted");
  assert.equal(reason("https://h/m/admin/tool/policy/index.php"), "policy_not_accepted");
  assert.equal(reason("https://h/m/enrol/index.php?id=3"), "not_enrolled");
  assert.equal(
    reason("https://h/m/login/index.php", { onLoginPage: true, loginError: "Invalid login" }),
    "wrong_credentials",
  );
  assert.equal(
    reason("https://h/m/login/index.php?testsession=5", {
      onLoginPage: true,
      loginError: "Cookies must be enabled",
    }),
    "cookies_rejected",
  );
  assert.equal(reason("https://h/m/login/index.php", { onLoginPage: true }), "unexpected_page");
  assert.equal(reason("https://h/m/my/", { status: 503 }), "http_error");
  assert.equal(classifyLanding({ ...base, finalUrl: "https://h/m/my/", status: 503 }).transient, true);
  assert.equal(classifyLanding({ ...base, finalUrl: "https://h/m/my/", status: 404 }).transient, false);
  assert.equal(reason("https://h/m/my/", { status: 304 }), "unexpected_page");

  assert.equal(backoffDelayMs(1, 500, 10_000, () => 0), 250);
  assert.equal(backoffDelayMs(1, 500, 10_000, () => 1), 500);
  assert.equal(backoffDelayMs(3, 500, 10_000, () => 1), 2000);
  assert.equal(backoffDelayMs(10, 500, 10_000, () => 1), 10_000);
  assert.equal(backoffDelayMs(10, 500, 10_000, () => 0), 5_000);
});

Deno.test("tlsHint: names the fix that matches rustls' reason and whether --ca-cert was given", () => {
  const caAsLeaf = "invalid peer certificate: Other(OtherError(CaUsedAsEndEntity))";
  assert.match(tlsHint(caAsLeaf, true), /CA:TRUE.*--insecure/);
  assert.match(tlsHint("invalid peer certificate: NotValidForName", false), /base_url's host/);
  assert.match(
    tlsHint("invalid peer certificate: UnknownIssuer", true),
    /does not chain to the --ca-cert CA/,
  );
  assert.match(tlsHint("invalid peer certificate: UnknownIssuer", false), /--ca-cert FILE/);
});

Deno.test("the answer's time is when its body's last byte was read, on the last hop, before the user's own work", async () => {
  await withServer((request) => {
    if (new URL(request.url).pathname === "/hop") {
      return Response.redirect(new URL("/slow-body", request.url), 303);
    }
    // The head and a first chunk at once, the body's end 80 ms later.
    const body = new ReadableStream<Uint8Array>({
      async start(controller) {
        controller.enqueue(new TextEncoder().encode("<html><body>start"));
        await new Promise((resolve) => setTimeout(resolve, 80));
        controller.enqueue(new TextEncoder().encode(" end</body></html>"));
        controller.close();
      },
    });
    return new Response(body, { headers: { "content-type": "text/html" } });
  }, async (base) => {
    const session = new HttpSession(createFetchTransport());
    const before = performance.now();
    const response = await session.request(`${base}/hop`);
    const after = performance.now();
    assert.equal(response.status, 200);
    assert.equal(response.hops.length, 2);
    assert.ok(response.receivedMs !== undefined, "a response read to its end has an answer time");
    assert.ok(
      response.receivedMs - before >= 75,
      `stamped at the body's end: ${response.receivedMs - before} ms`,
    );
    assert.ok(response.receivedMs <= after);

    const user = createMoodleUser({
      baseUrl: base,
      username: "u",
      password: "p",
      transport: createFetchTransport(),
    });
    const sent = performance.now();
    const page = await user.get(`${base}/hop`);
    assert.equal(page.status, 200);
    assert.ok(
      page.receivedMs !== undefined && page.receivedMs - sent >= 75 && page.receivedMs <= performance.now(),
    );
  });
});
