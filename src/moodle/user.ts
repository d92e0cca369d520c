/**
 * A Moodle user for the load engine (`VirtualUser`): logs in through the form exactly as a browser
 * does (GET login page → logintoken → POST → 303 chain through `testsession`, cookies kept at every
 * hop), retries transient failures with backoff, and measures pages, spotting session loss.
 * See docs/moodle-protocol.md.
 */
import { pageErrorClass } from "../engine/classify.ts";
import {
  backoffDelayMs,
  classifyLanding,
  failureFromError,
  failureFromStatus,
  type LoginAttemptResult,
} from "./login_outcome.ts";
import { PerfFooterScanner } from "./perf_footer.ts";
import { loginErrorText, parseLoginForm } from "./login_form.ts";
import { HttpSession, type SessionResponse } from "./session.ts";
import type { MultipartBody } from "./multipart.ts";
import { classifyDetour, pageSaysLoggedOut } from "./detour.ts";
import { EMPTY_BODY, headText, type ResponseBody, wholeText } from "./transport/body.ts";
import type { Transport } from "./transport/types.ts";
import type { LoginOutcome, PageResult, VirtualUser } from "../engine/types.ts";
import { joinUrl as siteUrl } from "../util/url.ts";

export const DEFAULT_LOGIN_PATH = "/login/index.php";
export const DEFAULT_LOGIN_TIMEOUT_MS = 20_000;
export const DEFAULT_REQUEST_TIMEOUT_MS = 60_000;
export const DEFAULT_MAX_RETRIES = 3;
export const DEFAULT_RETRY_BASE_MS = 500;
export const DEFAULT_RETRY_MAX_MS = 10_000;

export interface MoodleUserOptions {
  /** The site root, may include a sub-path ("https://host/moodle"); a trailing slash is ignored. */
  baseUrl: string;
  /** Path of the login page below the site (default "/login/index.php"). */
  loginPath?: string;
  username: string;
  password: string;
  transport: Transport;
  /** Time limit of one login attempt (GET + POST + redirects), ms (default 20 000). */
  loginTimeoutMs?: number;
  /** Time limit of one page request (all hops), ms (default 60 000); 0 = none. */
  requestTimeoutMs?: number;
  /** Extra attempts after a transient login failure (default 3). */
  maxRetries?: number;
  /** First retry delay before jitter, ms (default 500); doubles per retry. */
  retryBaseMs?: number;
  /** Longest retry delay, ms (default 10 000). */
  retryMaxMs?: number;
  /**
   * A page to ask for before logging in (e.g. "/course/view.php?id=2"): Moodle remembers it and
   * lands there after login, which reveals "not enrolled". Default: straight to the login page.
   */
  landingPath?: string;
  /** Longest response body accepted, bytes (default 64 MiB); a longer one is `body_too_large`. */
  maxBodyBytes?: number;
  /** Ask for gzip/deflate/br as a browser does (default true); false sends `identity`. */
  compression?: boolean;
  /** Parse Moodle's performance footer on HTML pages (default true). */
  parsePerf?: boolean;
  /** Shared footer scanner of the site (default: one shared by every user of this module). */
  perfScanner?: PerfFooterScanner;
  /** Jitter source (default Math.random). */
  random?: () => number;
  /** How to wait between retries (tests pass a recorder). */
  sleep?: (ms: number) => Promise<void>;
}

/** A journey step's request: a GET, or a POST of form fields; the whole body kept when asked. */
export interface PageRequest {
  timeoutMs?: number;
  expect?: readonly number[];
  /** POST these fields (application/x-www-form-urlencoded). */
  form?: Record<string, string>;
  /** Or POST this multipart body (a file upload). */
  multipart?: MultipartBody;
  /** Keep the whole body (bounded by --max-body) for extraction, checks and forms. */
  keepBody?: boolean;
  /**
   * This request is a logout (`/login/logout.php?sesskey=…`): landing on the login page or a page
   * rendered for a visitor is its success, not a lost session, and the user is then logged out.
   */
  logout?: boolean;
}

export interface MoodleUser extends VirtualUser {
  /** A page as `get` measures it, with its body (its start and end; all of it with `keepBody`). */
  page(url: string, request: PageRequest): Promise<PageResult & { body: ResponseBody }>;
  /** The current `sesskey` (from the last page's JS config), when known. */
  readonly sesskey: string | undefined;
  readonly loginUrl: string;
  readonly session: HttpSession;
  /** A login, page or logout request is in flight (calling another one meanwhile throws). */
  readonly busy: boolean;
  /**
   * Log out with the sesskey (`/login/logout.php?sesskey=…`). True when Moodle ended the session
   * (the chain led back to the login page); false when it only asked for confirmation or failed.
   */
  logout(): Promise<boolean>;
}

const SESSKEY = /"sesskey":"([A-Za-z0-9]+)"/;
const sharedScanner = new PerfFooterScanner();
const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function createMoodleUser(options: MoodleUserOptions): MoodleUser {
  return new MoodleUserImpl(options);
}

class MoodleUserImpl implements MoodleUser {
  readonly username: string;
  readonly loginUrl: string;
  readonly session: HttpSession;
  #loggedIn = false;
  #busy = false;
  #sesskey: string | undefined;
  readonly #loginPathname: string;
  readonly #o: MoodleUserOptions;

  constructor(options: MoodleUserOptions) {
    this.#o = options;
    this.username = options.username;
    this.loginUrl = siteUrl(options.baseUrl, options.loginPath ?? DEFAULT_LOGIN_PATH);
    this.#loginPathname = new URL(this.loginUrl).pathname;
    this.session = new HttpSession(options.transport, undefined, options.maxBodyBytes, options.compression);
  }

  get loggedIn(): boolean {
    return this.#loggedIn;
  }

  get sesskey(): string | undefined {
    return this.#sesskey;
  }

  /** The login page itself, wherever the redirect points (host names may differ). */
  #isLoginPage = (url: URL): boolean => url.pathname === this.#loginPathname;

  get busy(): boolean {
    return this.#busy;
  }

  /** One request at a time per user, as Moodle's session lock would impose anyway. */
  async #exclusive<T>(what: string, work: () => Promise<T>): Promise<T> {
    if (this.#busy) {
      throw new Error(
        `${this.username}: ${what} while a request is in flight (one request per virtual user)`,
      );
    }
    this.#busy = true;
    try {
      return await work();
    } finally {
      this.#busy = false;
    }
  }

  login(): Promise<LoginOutcome> {
    return this.#exclusive("login()", () => this.#login());
  }

  async #login(): Promise<LoginOutcome> {
    const started = performance.now();
    const maxRetries = this.#o.maxRetries ?? DEFAULT_MAX_RETRIES;
    const sleep = this.#o.sleep ?? defaultSleep;
    const random = this.#o.random ?? Math.random;
    this.#loggedIn = false;
    let result: LoginAttemptResult = { ok: false, reason: "unexpected_page", transient: false };
    let attempts = 0;
    for (;;) {
      attempts++;
      result = await this.#attempt();
      if (result.ok || !result.transient || attempts > maxRetries) break;
      await sleep(
        backoffDelayMs(
          attempts,
          this.#o.retryBaseMs ?? DEFAULT_RETRY_BASE_MS,
          this.#o.retryMaxMs ?? DEFAULT_RETRY_MAX_MS,
          random,
        ),
      );
    }
    this.#loggedIn = result.ok;
    const outcome: LoginOutcome = {
      ok: result.ok,
      username: this.username,
      attempts,
      durationMs: performance.now() - started,
    };
    if (!result.ok) {
      outcome.reason = result.reason;
      if (result.detail) outcome.detail = result.detail;
    }
    return outcome;
  }

  /**
   * One attempt under its time limit. The timer is cleared when the attempt ends: an
   * `AbortSignal.timeout` would live its full 20 s after the login, with whatever each fetch
   * attached to the signal (no RSS difference was measurable in bench users, but nothing of a
   * finished login should outlive it).
   */
  async #attempt(): Promise<LoginAttemptResult> {
    const controller = new AbortController();
    const timeoutMs = this.#o.loginTimeoutMs ?? DEFAULT_LOGIN_TIMEOUT_MS;
    const timer = setTimeout(
      () => controller.abort(new DOMException(`timed out after ${timeoutMs} ms`, "TimeoutError")),
      timeoutMs,
    );
    try {
      return await this.#attemptWithin(controller.signal);
    } finally {
      clearTimeout(timer);
    }
  }

  /** One attempt with a fresh cookie jar: GET the form, POST it, follow the chain. */
  async #attemptWithin(signal: AbortSignal): Promise<LoginAttemptResult> {
    this.session.reset();
    this.#sesskey = undefined;
    const firstUrl = this.#o.landingPath ? siteUrl(this.#o.baseUrl, this.#o.landingPath) : this.loginUrl;
    const page = await this.session.request(firstUrl, { signal, keepBody: true });
    if (page.errorClass) return this.#transportFailure(page, signal);
    if (page.status !== 200) return failureFromStatus(page.status, page.finalUrl);
    if (!this.#isLoginPage(new URL(page.finalUrl))) {
      return {
        ok: false,
        reason: "unexpected_page",
        detail: `expected the login page, got ${page.finalUrl}`,
        transient: false,
      };
    }
    const form = parseLoginForm(wholeText(page.body));
    if (!form) {
      return {
        ok: false,
        reason: "unexpected_page",
        detail: `no login form (form#login) at ${page.finalUrl}`,
        transient: false,
      };
    }
    const action = new URL(form.action ?? page.finalUrl, page.finalUrl).href;
    const { logintoken: token, anchor } = form;
    // The landing page's start holds what is read here (login error, sesskey).
    const posted = await this.session.request(action, {
      signal,
      form: { anchor, logintoken: token, username: this.username, password: this.#o.password },
    });
    if (posted.errorClass) return this.#transportFailure(posted, signal);
    const onLoginPage = this.#isLoginPage(new URL(posted.finalUrl));
    const html = headText(posted.body);
    let loginError: string | undefined;
    if (onLoginPage && html.includes("loginerrormessage")) {
      loginError = loginErrorText(html) || "login error";
    }
    const result = classifyLanding({
      urls: posted.hops.map((hop) => hop.url),
      finalUrl: posted.finalUrl,
      status: posted.status,
      onLoginPage,
      loginError,
    });
    if (result.ok) this.#sesskey = SESSKEY.exec(html)?.[1];
    return result;
  }

  #transportFailure(response: SessionResponse, signal: AbortSignal): LoginAttemptResult {
    if (signal.aborted) {
      return failureFromError(
        "timeout",
        `login took longer than ${this.#o.loginTimeoutMs ?? DEFAULT_LOGIN_TIMEOUT_MS} ms`,
      );
    }
    return failureFromError(response.errorClass ?? "other", response.errorMessage ?? "request failed");
  }

  get(url: string, options: { timeoutMs?: number; expect?: readonly number[] } = {}): Promise<PageResult> {
    return this.#exclusive("get()", () => this.#get(url, options));
  }

  page(url: string, request: PageRequest): Promise<PageResult & { body: ResponseBody }> {
    return this.#exclusive("page()", async () => {
      let body: ResponseBody | undefined;
      const result = await this.#get(url, request, (kept) => (body = kept));
      return Object.assign(result, { body: body ?? EMPTY_BODY });
    });
  }

  /** `onBody` receives the response body (journeys only: plain requests keep no reference to it). */
  async #get(url: string, options: PageRequest, onBody?: (body: ResponseBody) => void): Promise<PageResult> {
    const response = await this.session.request(url, {
      timeoutMs: options.timeoutMs ?? this.#o.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
      stopBefore: this.#isLoginPage,
      form: options.form,
      multipart: options.multipart,
      keepBody: options.keepBody,
    });
    onBody?.(response.body);
    const result: PageResult = {
      status: response.status,
      finalUrl: response.finalUrl,
      bytes: response.bytes,
      wireBytes: response.wireBytes,
      sessionLost: false,
    };
    if (response.receivedMs !== undefined) result.receivedMs = response.receivedMs;
    if (response.errorClass) {
      result.errorClass = response.errorClass;
      if (response.errorMessage) result.errorMessage = response.errorMessage;
      return result;
    }
    if (options.logout && this.#endedSession(response)) {
      this.#loggedIn = false;
      this.#sesskey = undefined;
      return result;
    }
    if (response.stopped || this.#isLoginPage(new URL(response.finalUrl))) {
      return this.#sessionLost(result, `sent to the login page (${response.finalUrl})`);
    }
    if (response.status >= 200 && response.status < 300 && pageSaysLoggedOut(response.body.headChunks)) {
      return this.#sessionLost(
        result,
        `the page was rendered for a visitor, not logged in (${response.finalUrl})`,
      );
    }
    const detour = this.#detour(url, response, options.expect);
    const errorClass = detour ? undefined : pageErrorClass(response.status, options.expect);
    if (detour) {
      result.errorClass = detour.errorClass;
      result.errorMessage = detour.message;
    } else if (errorClass) {
      result.errorClass = errorClass;
      result.errorMessage = `HTTP ${response.status} at ${response.finalUrl}`;
    }
    if (this.#o.parsePerf !== false) {
      const perf = (this.#o.perfScanner ?? sharedScanner).scan(
        response.body,
        response.headers?.get("content-type"),
      );
      if (perf) result.perf = perf;
    }
    return result;
  }

  #sessionLost(result: PageResult, message: string): PageResult {
    this.#loggedIn = false;
    result.sessionLost = true;
    result.errorClass = "session_lost";
    result.errorMessage = message;
    return result;
  }

  /**
   * Moodle's detours (enrolment page, policy, password change, maintenance, error page). A status
   * the endpoint expects explicitly (`expect`) is taken as wanted, error page or not. A 2xx answer
   * with no redirect is the page asked for (Moodle detours by 303, and its error and maintenance
   * pages answer 404/503), so its start is not decoded: that would cost ~70 µs per page.
   */
  #detour(url: string, response: SessionResponse, expect: readonly number[] | undefined) {
    if (expect?.includes(response.status)) return undefined;
    const status = response.status;
    if (response.hops.length <= 1 && status >= 200 && status < 300) return undefined;
    return classifyDetour({
      requestedUrl: url,
      finalUrl: response.finalUrl,
      status,
      head: headText(response.body),
    });
  }

  /** Moodle 4.3 answers a logout 303 to `/`, then the front page for a visitor; older sites went to the login page. */
  #endedSession(response: SessionResponse): boolean {
    return !response.errorClass &&
      (response.stopped || this.#isLoginPage(new URL(response.finalUrl)) ||
        pageSaysLoggedOut(response.body.headChunks));
  }

  logout(): Promise<boolean> {
    return this.#exclusive("logout()", () => this.#logout());
  }

  async #logout(): Promise<boolean> {
    const url = siteUrl(
      this.#o.baseUrl,
      `/login/logout.php?sesskey=${encodeURIComponent(this.#sesskey ?? "")}`,
    );
    const response = await this.session.request(url, {
      timeoutMs: this.#o.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
      stopBefore: this.#isLoginPage,
    });
    const ended = this.#endedSession(response);
    if (ended) {
      this.#loggedIn = false;
      this.#sesskey = undefined;
    }
    return ended;
  }
}
