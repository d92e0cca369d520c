/**
 * `--insecure`: HTTPS without certificate verification through `node:https` (works under plain
 * `deno run` and in the compiled binary, with no runtime flag). Plain http:// URLs still use fetch.
 * Loaded only when the flag is given, so the default path stays lean. node:https decodes nothing:
 * the body goes through body.ts's reader, which decodes gzip/deflate/br and counts the wire bytes.
 */
import https from "node:https";
import type { IncomingMessage } from "node:http";
import { Buffer } from "node:buffer";
import { Readable } from "node:stream";
import { BodyTooLargeError, readBodyStream } from "./body.ts";
import { fetchRequest } from "./fetch.ts";
import type { HttpRequest, HttpResponse, Transport } from "./types.ts";

const DECODES_NOTHING: ReadonlySet<string> = new Set();

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

async function insecureRequest(agent: https.Agent, request: HttpRequest): Promise<HttpResponse> {
  const res = await responseHead(agent, request);
  const header = (name: string) => {
    const value = res.headers[name];
    return typeof value === "string" ? value : null;
  };
  try {
    const body = await readBodyStream(
      Readable.toWeb(res) as ReadableStream<Uint8Array>,
      request.read ?? {},
      {
        contentEncoding: header("content-encoding"),
        contentLength: header("content-length"),
        decodedByTransport: DECODES_NOTHING,
      },
    );
    const receivedMs = performance.now();
    return {
      status: res.statusCode ?? 0,
      headers: toHeaders(res.headers),
      setCookies: res.headers["set-cookie"] ?? [],
      body,
      receivedMs,
    };
  } catch (error) {
    if (error instanceof BodyTooLargeError) error.status = res.statusCode ?? 0;
    res.destroy();
    throw error;
  }
}

/** Send the request; resolves with the response once its head arrived (the body is read after). */
function responseHead(agent: https.Agent, request: HttpRequest): Promise<IncomingMessage> {
  const signal = request.signal;
  if (signal?.aborted) return Promise.reject(signal.reason);
  return new Promise<IncomingMessage>((resolve, reject) => {
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
    // An abort after the head destroys the socket, which ends the body stream with an error.
    const onAbort = () => {
      reject(signal!.reason);
      req.destroy(signal!.reason instanceof Error ? signal!.reason : new Error("aborted"));
    };
    signal?.addEventListener("abort", onAbort, { once: true });
    req.on("error", reject);
    req.on("close", () => signal?.removeEventListener("abort", onAbort));
    req.on("response", resolve);
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
