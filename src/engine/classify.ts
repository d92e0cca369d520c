/** Turn what went wrong on one request into an `ErrorClass` (pure; no I/O). */
import type { ErrorClass } from "./types.ts";

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
