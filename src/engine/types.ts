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
  /** A journey step's `check` (status, contains, not_contains, regex, url) did not hold; the message names it. */
  "check_failed",
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
  /**
   * When the answer's last byte was read, on `performance.now()`'s timeline (the real clock's): the
   * answer's time, before the user's own work on it (footer scan, session checks, a journey step's
   * extraction). The engine times a request to here; without it, to when the result reached it.
   */
  receivedMs?: number;
}

/**
 * One logged-in Moodle user with its own cookie jar. At most one request is in flight per user
 * (Moodle locks the session per request; see docs/moodle-protocol.md).
 */
export interface VirtualUser {
  readonly username: string;
  readonly loggedIn: boolean;
  login(): Promise<LoginOutcome>;
  /** GET an absolute URL, following redirects by hand, reading the whole body. */
  get(url: string, options?: { timeoutMs?: number; expect?: readonly number[] }): Promise<PageResult>;
}

/** One step of a journey as the engine sees it: a name (its endpoint row) and its success statuses. */
export interface JourneyStepSpec {
  /** The endpoint row name, `journey/step`. */
  name: string;
  /** Path template, shown in the endpoint table. */
  path: string;
  expect?: readonly number[];
}

/** A journey as the engine sees it: a name and its steps, in order. */
export interface JourneySpec {
  name: string;
  steps: readonly JourneyStepSpec[];
}

/** What one journey step produced, plus what the engine must do next. */
export interface JourneyStepResult extends PageResult {
  /** Think time before the next step, ms (seeded; never part of a latency). */
  thinkMs: number;
  /** A failure of this step does not end the journey (`on_fail: "continue"`). */
  continueOnFail: boolean;
  /** The step logged the user out: the journey ends and the user logs in again before its next work. */
  loggedOut?: boolean;
}

/** One journey iteration performed by one virtual user, step by step (the runner does the HTTP). */
export interface JourneyIteration {
  step(index: number): Promise<JourneyStepResult>;
}

/**
 * The protocol side of journeys (src/journey/): the engine chooses the journey, the iteration and
 * the user (an index into the engine's users), and times every step; the runner fills templates,
 * sends the step with the user's session, extracts and checks.
 */
export interface JourneyRunner {
  begin(journey: number, user: number, iteration: number): JourneyIteration;
}
