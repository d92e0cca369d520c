/**
 * The HTTP interface a virtual user's session talks through: one request in, the status, headers
 * (with every `Set-Cookie`) and the body out, read by body.ts (bounded by a size limit; kept whole
 * only on request). Redirects are never followed here.
 *
 * - default: `fetch` with `redirect: "manual"` — the lean path the load engine runs on;
 * - `caCertPem`: `fetch` through `Deno.createHttpClient({ caCerts })`, normal verification;
 * - `insecure`: HTTPS through `node:https` with `rejectUnauthorized: false` (Deno's fetch has no
 *   per-request switch, and this needs no runtime flag); only built when `--insecure` is given.
 */

import type { BodyReadOptions, ResponseBody } from "./body.ts";

export interface HttpRequest {
  method: "GET" | "POST" | "HEAD";
  url: string;
  headers?: Record<string, string>;
  /** A form: urlencoded text, or multipart bytes (a file upload). */
  body?: string | Uint8Array<ArrayBuffer>;
  /** Aborts the request (use `AbortSignal.timeout(ms)` for timeouts). */
  signal?: AbortSignal;
  /** How the body is read: its size limit, and whether to keep all of it. */
  read?: BodyReadOptions;
}

export interface HttpResponse {
  status: number;
  headers: Headers;
  /** Every `Set-Cookie` header value, in order. */
  setCookies: string[];
  /** The body, read to its end (as a browser would) but kept only in part unless asked. */
  body: ResponseBody;
  /** `performance.now()` when the body's end was read: the answer's time, before any work on it. */
  receivedMs: number;
}

export type TransportKind = "fetch" | "ca-cert" | "insecure";

export interface Transport {
  readonly kind: TransportKind;
  request(request: HttpRequest): Promise<HttpResponse>;
  /** Release pooled connections. */
  close(): void;
}

export interface TransportOptions {
  /** Skip TLS certificate verification (`--insecure`). */
  insecure?: boolean;
  /** PEM of a private CA to trust in addition to the system roots (`--ca-cert FILE`). */
  caCertPem?: string;
}
