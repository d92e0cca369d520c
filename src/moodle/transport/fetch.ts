/** `fetch` transports: plain, or through a client that trusts a private CA. Redirects by hand. */
import { BodyTooLargeError, readBodyStream } from "./body.ts";
import type { HttpRequest, HttpResponse, Transport } from "./types.ts";

/** Plain `fetch`, redirects by hand. */
export function createFetchTransport(): Transport {
  return {
    kind: "fetch",
    request: (request) => fetchRequest(request, undefined),
    close() {},
  };
}

/** `fetch` with an extra trusted CA (normal verification otherwise). */
export function createCaCertTransport(caCertPem: string): Transport {
  const client = Deno.createHttpClient({ caCerts: [caCertPem] });
  return {
    kind: "ca-cert",
    request: (request) => fetchRequest(request, client),
    close: () => client.close(),
  };
}

/**
 * Deno's fetch decodes gzip and br bodies itself, whatever Accept-Encoding the request carried, and
 * keeps the `Content-Encoding` and `Content-Length` headers; it leaves deflate alone.
 */
const FETCH_DECODES: ReadonlySet<string> = new Set(["gzip", "x-gzip", "br"]);

export async function fetchRequest(
  request: HttpRequest,
  client: Deno.HttpClient | undefined,
): Promise<HttpResponse> {
  const init: RequestInit & { client?: Deno.HttpClient } = {
    method: request.method,
    headers: request.headers,
    body: request.body,
    redirect: "manual",
    signal: request.signal,
  };
  if (client) init.client = client;
  const response = await fetch(request.url, init);
  let body;
  let receivedMs;
  try {
    body = await readBodyStream(response.body, request.read ?? {}, {
      contentEncoding: response.headers.get("content-encoding"),
      contentLength: response.headers.get("content-length"),
      decodedByTransport: FETCH_DECODES,
    });
    receivedMs = performance.now();
  } catch (error) {
    if (error instanceof BodyTooLargeError) error.status = response.status;
    throw error;
  }
  return {
    status: response.status,
    headers: response.headers,
    setCookies: response.headers.getSetCookie(),
    body,
    receivedMs,
  };
}
