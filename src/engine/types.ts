/**
 * The contracts between the load engine and the Moodle protocol side. The engine only knows
 * `VirtualUser`; the protocol side (session.ts, moodle.ts, transport.ts) implements it.
 */

/** Error classes counted per endpoint and per interval. */
export const ERROR_CLASSES = [
  "timeout",
  "connect",
  "tls",
  "http_4xx",
  "http_5xx",
  "session_lost",
  "unexpected_status",
  "other",
  /** Sent, and still unanswered when the grace period after the run ended (`timeout`: the request timeout ended it). */
  "abandoned",
  "body_too_large",
  "not_enrolled",
  "moodle_error",
  "maintenance",
  "policy",
  "password_change",
] as const;
export type ErrorClass = typeof ERROR_CLASSES[number];

/** Why a login failed, named as a performance engineer would search for it. */
export const LOGIN_FAILURE_REASONS = [
  "wrong_credentials",
  "password_change_forced",
  "profile_incomplete",
  "policy_not_accepted",
  "not_enrolled",
  "cookies_rejected",
  "http_error",
  "timeout",
  "network",
  "unexpected_page",
] as const;
export type LoginFailureReason = typeof LOGIN_FAILURE_REASONS[number];

export interface LoginOutcome {
  ok: boolean;
  username: string;
  reason?: LoginFailureReason;
  /** One human line: status, URL or message that explains the reason. */
  detail?: string;
  attempts: number;
  durationMs: number;
}

/** Moodle's performance footer (perfdebug), when the page carries one. All optional. */
export interface MoodlePerf {
  timeUsedSec?: number;
  memoryUsedBytes?: number;
  memoryPeakBytes?: number;
  includedFiles?: number;
  dbReads?: number;
  dbWrites?: number;
  dbTimeSec?: number;
  sessionWaitSec?: number;
}

/** What one measured page request produced. */
export interface PageResult {
  /** Final status after following redirects (0 when no response). */
  status: number;
  finalUrl: string;
  /** Body bytes, decoded (after gzip/deflate/br). */
  bytes: number;
  /** Body bytes as they came over the wire (compressed); `bytes` when not given. */
  wireBytes?: number;
  /** The final URL was the login page: the session was lost (never a success). */
  sessionLost: boolean;
  /** Set when the request did not succeed at the transport or HTTP level. */
  errorClass?: ErrorClass;
  errorMessage?: string;
  perf?: MoodlePerf;
}

/**
 * One logged-in Moodle user with its own cookie jar. At most one request is in flight per user
 * (Moodle locks the session per request; see ../shared/moodle-protocol.md).
 */
export interface VirtualUser {
  readonly username: string;
  readonly loggedIn: boolean;
  login(): Promise<LoginOutcome>;
  /** GET an absolute URL, following redirects by hand, reading the whole body. */
  get(url: string, options?: { timeoutMs?: number; expect?: readonly number[] }): Promise<PageResult>;
}
