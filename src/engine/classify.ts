/** Turn what went wrong on one request into an `ErrorClass` (pure; no I/O). */
import type { ErrorClass } from "./types.ts";

/** A success status: one of the endpoint's `expect` list when it has one, else any 2xx. */
export function statusOk(status: number, expect: readonly number[] | undefined): boolean {
  return expect ? expect.includes(status) : status >= 200 && status < 300;
}

function isHttpClass(errorClass: ErrorClass): boolean {
  return errorClass === "http_4xx" || errorClass === "http_5xx" || errorClass === "unexpected_status";
}

/**
 * THE success rule, the one home of "is this page a success, else which error class" (the protocol
 * side names a page's class with it, the engine judges every result with it): `undefined` = success.
 * A session loss never succeeds; an error class from the transport stands, unless it is only an HTTP
 * class for a status the `expect` list accepts; otherwise a status outside `expect` (or 2xx) is
 * http_4xx, http_5xx or unexpected_status.
 */
export function pageErrorClass(
  status: number,
  expect: readonly number[] | undefined,
  errorClass?: ErrorClass,
  sessionLost = false,
): ErrorClass | undefined {
  if (sessionLost) return "session_lost";
  const ok = statusOk(status, expect);
  if (errorClass && !(ok && isHttpClass(errorClass))) return errorClass;
  return ok ? undefined : classifyStatus(status);
}

/** The class of an HTTP status that is not a success. */
export function classifyStatus(status: number): ErrorClass {
  if (status >= 500 && status <= 599) return "http_5xx";
  if (status >= 400 && status <= 499) return "http_4xx";
  return "unexpected_status";
}

const TLS =
  /certificate|\btls\b|ssl|handshake|UnknownIssuer|CERT_|self[- ]signed|ERR_TLS|InvalidCertificate/i;
const CONNECT =
  /connect|ECONNREFUSED|ECONNRESET|EHOSTUNREACH|ENETUNREACH|ENOTFOUND|EAI_AGAIN|dns error|Connection (refused|reset)|os error|socket hang up|EPIPE/i;

/** Everything an error says about itself, causes included (Deno puts details in `cause`). */
export function errorText(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current !== undefined && current !== null && depth < 5; depth++) {
    if (current instanceof Error) {
      const code = (current as { code?: unknown }).code;
      parts.push(typeof code === "string" ? `${code}: ${current.message}` : current.message);
      current = current.cause;
    } else {
      parts.push(String(current));
      break;
    }
  }
  return parts.filter((part, index) => part && parts.indexOf(part) === index).join(": ");
}

/** timeout, tls, connect, or other — from the thrown value of a transport. */
export function classifyError(error: unknown): { errorClass: ErrorClass; message: string } {
  const message = errorText(error);
  // Deno quotes the URL in its messages: a host named tls.example.org must not look like TLS.
  const text = message.replace(/https?:\/\/[^\s)]*/gi, "URL");
  const name = error instanceof Error || error instanceof DOMException ? error.name : "";
  if (name === "TimeoutError" || /\btimed? ?out\b|ETIMEDOUT/i.test(text)) {
    return { errorClass: "timeout", message };
  }
  if (TLS.test(text)) return { errorClass: "tls", message };
  if (CONNECT.test(text)) return { errorClass: "connect", message };
  return { errorClass: "other", message };
}
