/**
 * One virtual user's HTTP session: a cookie jar (`tough-cookie`) and requests whose redirects are
 * followed by hand, so that every hop's `Set-Cookie` reaches the jar (Moodle changes the session id
 * in the middle of the login chain). Counts body bytes over all hops and classifies failures.
 */
import { CookieJar } from "tough-cookie";
import { timeoutSignal } from "./deadline.ts";
import { classifyError } from "../engine/classify.ts";
import { BodyTooLargeError, EMPTY_BODY, type ResponseBody } from "./transport/body.ts";
import type { HttpResponse, Transport } from "./transport/types.ts";
import type { ErrorClass } from "../engine/types.ts";
import type { MultipartBody } from "./multipart.ts";

export const DEFAULT_MAX_REDIRECTS = 10;
export const USER_AGENT = "moodle-load";
/**
 * What a browser asks for. Deno's fetch would send "gzip,br" by itself; "identity" is the explicit
 * "no compression" (`--no-compression`), since leaving the header out would let fetch add its own.
 */
export const ACCEPT_ENCODING = "gzip, deflate, br";
export const NO_COMPRESSION = "identity";

export interface Hop {
  method: string;
  url: string;
  status: number;
  /** Resolved `Location` of a redirect. */
  location?: string;
}

export interface SessionRequestOptions {
  /** `application/x-www-form-urlencoded` body; the first request becomes a POST. */
  form?: Record<string, string>;
  /** Or a `multipart/form-data` body (a file upload); the first request becomes a POST. */
  multipart?: MultipartBody;
  headers?: Record<string, string>;
  /** Time limit for the whole chain of hops, in ms (none when undefined or 0). */
  timeoutMs?: number;
  signal?: AbortSignal;
  maxRedirects?: number;
  /**
   * Stop before following a redirect to this URL (it is reported as `finalUrl`, with the
   * redirect's status). Used to notice the login page without fetching it.
   */
  stopBefore?: (next: URL) => boolean;
  /** Keep the whole body of the last response (bounded by the session's `maxBodyBytes`). */
  keepBody?: boolean;
}

export interface SessionResponse {
  /** Status of the last response received (0 when none). */
  status: number;
  /** Where the chain ended: the last URL fetched, or the redirect target `stopBefore` refused. */
  finalUrl: string;
  /** Headers of the last response. */
  headers?: Headers;
  /** Body of the last response (its start and end; all of it with `keepBody`). */
  body: ResponseBody;
  /** `performance.now()` when the last response's body was read to its end (none on failure). */
  receivedMs?: number;
  /** Body bytes of every hop, decoded. */
  bytes: number;
  /** Body bytes of every hop as they came over the wire (see ResponseBody.wireBytes). */
  wireBytes: number;
  hops: Hop[];
  /** Set when no final response was obtained (network, TLS, timeout, too many redirects). */
  errorClass?: ErrorClass;
  errorMessage?: string;
  /** True when `stopBefore` ended the chain. */
  stopped: boolean;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/** Cookie headers cached per URL path, valid until the jar changes or a cookie expires. */
const COOKIE_CACHE_LIMIT = 64;

export class HttpSession {
  #jar = new CookieJar();
  readonly #cookieCache = new Map<string, { header: string; until: number }>();

  /**
   * `maxBodyBytes`: longest response body accepted (default 64 MiB, see transport/body.ts);
   * `compression`: ask for gzip/deflate/br as a browser does (default), else for identity.
   */
  constructor(
    readonly transport: Transport,
    readonly userAgent = USER_AGENT,
    readonly maxBodyBytes?: number,
    readonly compression = true,
  ) {}

  get jar(): CookieJar {
    return this.#jar;
  }

  /** Forget every cookie (a new browser profile). */
  reset(): void {
    this.#jar = new CookieJar();
    this.#cookieCache.clear();
  }

  /** The `Cookie` header for `url` (tough-cookie's matching, cached per path). */
  cookieHeader(url: string): string {
    let end = url.indexOf("?");
    if (end < 0) end = url.indexOf("#");
    const key = end < 0 ? url : url.slice(0, end);
    const now = Date.now();
    const hit = this.#cookieCache.get(key);
    if (hit && now < hit.until) return hit.header;
    const cookies = this.#jar.getCookiesSync(url);
    let until = Infinity;
    for (const cookie of cookies) {
      const expiry = cookie.expiryTime();
      if (expiry !== undefined && expiry < until) until = expiry;
    }
    const header = cookies.map((cookie) => cookie.cookieString()).join("; ");
    if (this.#cookieCache.size >= COOKIE_CACHE_LIMIT) this.#cookieCache.clear();
    this.#cookieCache.set(key, { header, until });
    return header;
  }

  /** Store a `Set-Cookie` received from `url`. */
  storeCookie(setCookie: string, url: string): void {
    this.#jar.setCookieSync(setCookie, url, { ignoreError: true });
    this.#cookieCache.clear();
  }

  /** Value of the first cookie whose name matches, as it would be sent to `url`. */
  cookieValue(url: string, name: RegExp): string | undefined {
    return this.#jar.getCookiesSync(url).find((cookie) => name.test(cookie.key))?.value;
  }

  /** GET (or POST with `form`) `url`, following redirects by hand. Never throws. */
  async request(url: string, options: SessionRequestOptions = {}): Promise<SessionResponse> {
    const maxRedirects = options.maxRedirects ?? DEFAULT_MAX_REDIRECTS;
    const timeout = options.timeoutMs ? timeoutSignal(options.timeoutMs) : undefined;
    const signal = timeout && options.signal
      ? AbortSignal.any([timeout, options.signal])
      : timeout ?? options.signal;
    const hops: Hop[] = [];
    let method: "GET" | "POST" = options.form || options.multipart ? "POST" : "GET";
    let body: string | Uint8Array<ArrayBuffer> | undefined = options.multipart?.body ??
      (options.form ? new URLSearchParams(options.form).toString() : undefined);
    const contentType = options.multipart?.contentType ?? "application/x-www-form-urlencoded";
    let current = url;
    let bytes = 0;
    let wireBytes = 0;
    let last: HttpResponse | undefined;
    const read = { maxBodyBytes: this.maxBodyBytes, keepWhole: options.keepBody };
    try {
      for (let hop = 0;; hop++) {
        const headers: Record<string, string> = {
          "user-agent": this.userAgent,
          "accept-encoding": this.compression ? ACCEPT_ENCODING : NO_COMPRESSION,
          ...options.headers,
        };
        const cookie = this.cookieHeader(current);
        if (cookie) headers.cookie = cookie;
        if (body !== undefined) headers["content-type"] = contentType;
        last = await this.transport.request({ method, url: current, headers, body, signal, read });
        bytes += last.body.bytes;
        wireBytes += last.body.wireBytes;
        for (const setCookie of last.setCookies) this.storeCookie(setCookie, current);
        const record: Hop = { method, url: current, status: last.status };
        hops.push(record);
        const location = REDIRECTS.has(last.status) ? last.headers.get("location") : null;
        if (location === null) return this.#result(current, last, bytes, wireBytes, hops, false);
        const next = new URL(location, current);
        record.location = next.href;
        if (options.stopBefore?.(next)) return this.#result(next.href, last, bytes, wireBytes, hops, true);
        if (hop >= maxRedirects) {
          return {
            ...this.#result(current, last, bytes, wireBytes, hops, false),
            errorClass: "unexpected_status",
            errorMessage: `more than ${maxRedirects} redirects (last to ${next.href})`,
          };
        }
        if (last.status !== 307 && last.status !== 308) {
          method = "GET";
          body = undefined;
        }
        current = next.href;
      }
    } catch (error) {
      const where = { url: current, method, bytes, wireBytes, hops, headers: last?.headers };
      return this.#failure(error, where, timeout?.aborted ? options.timeoutMs : undefined);
    }
  }

  /** A request that ended without a usable answer: a body past --max-body, a timeout, a transport error. */
  #failure(
    error: unknown,
    where: { url: string; method: string; bytes: number; wireBytes: number; hops: Hop[]; headers?: Headers },
    timedOutAfterMs: number | undefined,
  ): SessionResponse {
    const at = `(${where.method} ${where.url})`;
    if (error instanceof BodyTooLargeError) {
      return {
        status: error.status,
        finalUrl: where.url,
        body: EMPTY_BODY,
        bytes: where.bytes + error.readBytes,
        wireBytes: where.wireBytes,
        hops: where.hops,
        errorClass: "body_too_large",
        errorMessage: `${error.message} ${at}`,
        stopped: false,
      };
    }
    const classified = timedOutAfterMs !== undefined
      ? { errorClass: "timeout" as const, message: `no complete response within ${timedOutAfterMs} ms` }
      : classifyError(error);
    return {
      status: 0,
      finalUrl: where.url,
      headers: where.headers,
      body: EMPTY_BODY,
      bytes: where.bytes,
      wireBytes: where.wireBytes,
      hops: where.hops,
      errorClass: classified.errorClass,
      errorMessage: `${classified.message} ${at}`,
      stopped: false,
    };
  }

  #result(
    finalUrl: string,
    response: HttpResponse,
    bytes: number,
    wireBytes: number,
    hops: Hop[],
    stopped: boolean,
  ): SessionResponse {
    return {
      status: response.status,
      finalUrl,
      headers: response.headers,
      body: response.body,
      receivedMs: response.receivedMs,
      bytes,
      wireBytes,
      hops,
      stopped,
    };
  }
}
