/**
 * What a finished login chain means (pure): which page the user ended on names the reason, as
 * docs/moodle-protocol.md lists them. No I/O here, so every branch is unit-testable.
 */
import { loginDetour } from "./detour.ts";
import type { ErrorClass, LoginFailureReason } from "../engine/types.ts";

export interface LoginAttemptResult {
  ok: boolean;
  reason?: LoginFailureReason;
  detail?: string;
  /** Worth another attempt (network trouble, 5xx, timeout); never for bad credentials. */
  transient: boolean;
}

/** Pages Moodle sends a logged-in user to instead of the page asked for (detour.ts has the rest). */
const PROFILE_INCOMPLETE = /\/user\/edit\.php$/;

/** A transport-level failure (no final response) during a login attempt. */
export function failureFromError(errorClass: ErrorClass, message: string): LoginAttemptResult {
  switch (errorClass) {
    case "timeout":
      return { ok: false, reason: "timeout", detail: message, transient: true };
    case "tls":
      return { ok: false, reason: "network", detail: `TLS: ${message}`, transient: false };
    case "unexpected_status":
    case "body_too_large":
      return { ok: false, reason: "unexpected_page", detail: message, transient: false };
    default:
      return { ok: false, reason: "network", detail: message, transient: true };
  }
}

/** An HTTP status that ends a login attempt (5xx may pass; other errors will not). */
export function failureFromStatus(status: number, url: string): LoginAttemptResult {
  return { ok: false, reason: "http_error", detail: `HTTP ${status} at ${url}`, transient: status >= 500 };
}

export interface LandingFacts {
  /** Every URL the chain visited (including the final one), in order. */
  urls: string[];
  finalUrl: string;
  status: number;
  /** The final page was the login page. */
  onLoginPage: boolean;
  /** Text of `#loginerrormessage` on the final page, when present. */
  loginError?: string;
}

/** Classify where the POST's redirect chain ended. */
export function classifyLanding(facts: LandingFacts): LoginAttemptResult {
  const urls = [facts.finalUrl, ...facts.urls];
  const detour = loginDetour(urls);
  if (detour) {
    const url = urls.find((candidate) => detour.path.test(pathOf(candidate)));
    return { ok: false, reason: detour.loginReason, detail: `${detour.what}: ${url}`, transient: false };
  }
  const incomplete = urls.find((url) => PROFILE_INCOMPLETE.test(pathOf(url)));
  if (incomplete) {
    return {
      ok: false,
      reason: "profile_incomplete",
      detail: `profile incomplete (user/edit.php): ${incomplete}`,
      transient: false,
    };
  }
  if (facts.status >= 400) return failureFromStatus(facts.status, facts.finalUrl);
  if (facts.onLoginPage) {
    if (/[?&]testsession=/.test(facts.finalUrl)) {
      return {
        ok: false,
        reason: "cookies_rejected",
        detail: `testsession check failed${
          facts.loginError ? `: ${facts.loginError}` : ""
        } (session cookie not kept)`,
        transient: false,
      };
    }
    if (facts.loginError !== undefined) {
      return { ok: false, reason: "wrong_credentials", detail: facts.loginError, transient: false };
    }
    return {
      ok: false,
      reason: "unexpected_page",
      detail: "back on the login page with no error message",
      transient: false,
    };
  }
  if (facts.status >= 200 && facts.status < 300) return { ok: true, transient: false };
  return {
    ok: false,
    reason: "unexpected_page",
    detail: `HTTP ${facts.status} at ${facts.finalUrl}`,
    transient: false,
  };
}

function pathOf(url: string): string {
  try {
    return new URL(url).pathname;
  } catch {
    return url;
  }
}

/**
 * Delay before retry `attempt` (1 = the first retry): exponential from `baseMs`, capped at `maxMs`,
 * with "equal jitter" (between half and all of it) so retrying users do not stampede together.
 */
export function backoffDelayMs(attempt: number, baseMs: number, maxMs: number, random: () => number): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return ceiling / 2 + random() * (ceiling / 2);
}

/** What to do about a TLS failure at login, from the error text (rustls names the cause). */
export function tlsHint(detail: string, caCertGiven: boolean): string {
  if (/CaUsedAsEndEntity/.test(detail)) {
    return "the site presents a CA certificate (basicConstraints CA:TRUE) as its server certificate, " +
      "which TLS clients refuse even with --ca-cert — give the site a certificate signed by that CA " +
      "(CA:FALSE) and pass the CA with --ca-cert, or skip verification with --insecure";
  }
  if (/NotValidForName/.test(detail)) {
    return "the site's certificate does not name base_url's host — use the host name the certificate " +
      "was issued for in base_url, or skip verification with --insecure";
  }
  if (caCertGiven) {
    return "the site's certificate does not chain to the --ca-cert CA — pass the CA that signed it, " +
      "or skip verification with --insecure";
  }
  return "trust the site's CA with --ca-cert FILE, or skip verification with --insecure";
}
