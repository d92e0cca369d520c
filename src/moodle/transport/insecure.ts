/**
 * `--insecure`: HTTPS without certificate verification through `node:https` (works under plain
 * `deno run` and in the compiled binary, with no runtime flag). Plain http:// URLs still use fetch.
 * Loaded only when the flag is given, so the default path stays lean.
 */
import https from "node:https";
import type { IncomingMessage } from "node:http";
import { Buffer } from "node:buffer";
import { BodyCollector, BodyTooLargeError } from "./body.ts";
import { fetchRequest } from "./fetch.ts";
import type { HttpRequest, HttpResponse, Transport } from "./types.ts";

export function createInsecureTransport(): Transport {
  // `ca: []`: nothing is verified anyway, and it keeps node:tls from reading the system store
  // (which would need --allow-sys).
  const agent = new https.Agent({ keepAlive: true, rejectUnauthorized: false, ca: [] });
  return {
    kind: "insecure",
    request: (request) =>
      request.url.startsWith("https:") ? insecureRequest(agent, request) : fetchRequest(request, undefined),
    close: () => agent.destroy(),
  };
}

function insecureRequest(agent: https.Agent, request: HttpRequest): Promise<HttpResponse> {
  const signal = request.signal;
  if (signal?.aborted) return Promise.reject(signal.reason);
  return new Promise<HttpResponse>((resolve, reject) => {
    const body = request.body === undefined ? undefined : Buffer.from(request.body);
    const headers: Record<string, string> = { ...request.headers };
    if (body) headers["content-length"] = String(body.length);
    const req = https.request(request.url, {
      method: request.method,
      headers,
      agent,
      rejectUnauthorized: false,
      ca: [],
    });
    let settled = false;
    const settle = (action: () => void) => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener("abort", onAbort);
      action();
    };
    const onAbort = () => {
      settle(() => reject(signal!.reason));
      req.destroy();
    };
    signal?.addEventListener("abort", onAbort, { once: true });
    const fail = (error: unknown) => settle(() => reject(error));
    req.on("error", fail);
    req.on("response", (res: IncomingMessage) => {
      const collector = new BodyCollector(request.read);
      res.on("data", (chunk: Uint8Array) => {
        try {
          collector.push(chunk);
        } catch (error) {
          if (error instanceof BodyTooLargeError) error.status = res.statusCode ?? 0;
          fail(error);
          res.destroy();
          req.destroy();
        }
      });
      res.on("error", fail);
      // After "end" this is a no-op; before it, the body was cut short.
      res.on("close", () => fail(new Error("connection closed before the end of the response body")));
      res.on("end", () =>
        settle(() =>
          resolve({
            status: res.statusCode ?? 0,
            headers: toHeaders(res.headers),
            setCookies: res.headers["set-cookie"] ?? [],
            body: collector.finish(),
          })
        ));
    });
    req.end(body);
  });
}

function toHeaders(raw: IncomingMessage["headers"]): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(raw)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) { for (const item of value) headers.append(name, item); }
    else headers.set(name, value);
  }
  return headers;
}
