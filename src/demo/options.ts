/** Options of the Moodle-faithful demo server and their defaults. */

/** One account on the demo site. Flags mirror what a real Moodle would do with such a user. */
export interface DemoUserSpec {
  username: string;
  password: string;
  /** Preference `auth_forcepasswordchange=1`: every page goes to /login/change_password.php. */
  forcePasswordChange?: boolean;
  /** Missing firstname/lastname/email: every page goes to /user/edit.php. */
  profileIncomplete?: boolean;
  /** Site policy not accepted: every page goes to /user/policy.php. */
  policyNotAccepted?: boolean;
  /** Enrolled in no course: /course/view.php?id=N goes to /enrol/index.php?id=N. */
  notEnrolled?: boolean;
  /** Suspended account: logging in fails exactly like a wrong password. */
  suspended?: boolean;
  /** Preference `login_lockout_ignored=1`: never locked out by failed attempts. */
  lockoutIgnored?: boolean;
  /** Preference `login_lockout=…` already set: logging in fails like a wrong password. */
  locked?: boolean;
}

export interface DemoTls {
  /** PEM certificate chain. */
  cert: string;
  /** PEM private key. */
  key: string;
}

export interface DemoOptions {
  /** Accounts (default: `student01`…`student10`, password `Demo-pass-1`). */
  users?: DemoUserSpec[];
  /** Where the site lives below the origin, e.g. "/moodle" (default: the root, ""). */
  sitePath?: string;
  /** `$CFG->sessioncookie`: the session cookie is `MoodleSession` + this suffix. */
  cookieSuffix?: string;
  /** Bytes of HTML per full content page (default 150 000). */
  pageBytes?: number;
  /** Per-path page size, keyed by path below the site (e.g. "/course/view.php"). */
  pageBytesByPath?: Record<string, number>;
  /** Bytes of the login page (default 24 000). */
  loginPageBytes?: number;
  /** Time spent "working" on every request, in ms (default 0). */
  latencyMs?: number;
  /** Per-path latency in ms, keyed by path below the site; replaces `latencyMs` for that path. */
  latencyByPath?: Record<string, number>;
  /** Share (0..1) of requests answered with an injected `errorStatus` (default 0). */
  errorRate?: number;
  /** Status of injected errors (default 503). */
  errorStatus?: number;
  /** Largest file the upload repository accepts, bytes (default 10 MiB, the kit's assignment limit). */
  uploadMaxBytes?: number;
  /** Share (0..1) of requests that take `slowMs` extra (default 0). */
  slowRate?: number;
  /** Extra time of a slow response in ms (default 1000). */
  slowMs?: number;
  /** Seed of the fault-injection PRNG (default 1). */
  seed?: number;
  /** `$CFG->sessiontimeout` in seconds: idle sessions older than this are gone (default 28 800). */
  sessionTtlSec?: number;
  /** `$CFG->lockoutthreshold`: failed logins before an account locks; 0 = never (default 0). */
  lockoutThreshold?: number;
  /** `$CFG->perfdebug` above 7: full HTML pages carry Moodle's performance footer (default true). */
  perfdebug?: boolean;
  /**
   * `$CFG->maintenance_enabled`: every page but the login page answers Moodle's maintenance message
   * with 503 "Moodle under maintenance" (default false).
   */
  maintenance?: boolean;
  /** Serve HTTPS with this certificate and key. */
  tls?: DemoTls;
  /** `$CFG->cookiesecure`: add `Secure` to the session cookie on HTTPS (default true). */
  cookieSecure?: boolean;
  /** Gzip HTML/JS/CSS/JSON answers when the request accepts gzip, as a web server does (default true). */
  compress?: boolean;
  /** Interface to bind (default 127.0.0.1). */
  hostname?: string;
  /** Port (default 0: a free port). */
  port?: number;
}

export const DEFAULT_DEMO_PASSWORD = "Demo-pass-1";

export function defaultDemoUsers(count = 10, password = DEFAULT_DEMO_PASSWORD): DemoUserSpec[] {
  return Array.from({ length: count }, (_, i) => ({
    username: `student${String(i + 1).padStart(2, "0")}`,
    password,
  }));
}

export type ResolvedDemoOptions =
  & Required<Omit<DemoOptions, "tls" | "users">>
  & { tls?: DemoTls; users: DemoUserSpec[] };

/** Fill defaults and normalise the site path to "" or "/something" (no trailing slash). */
export function resolveDemoOptions(options: DemoOptions = {}): ResolvedDemoOptions {
  const sitePath = (options.sitePath ?? "").replace(/\/+$/, "");
  if (sitePath !== "" && !sitePath.startsWith("/")) {
    throw new Error(`sitePath must start with "/" (got ${JSON.stringify(options.sitePath)})`);
  }
  for (const [name, rate] of [["errorRate", options.errorRate], ["slowRate", options.slowRate]] as const) {
    if (rate !== undefined && !(rate >= 0 && rate <= 1)) throw new Error(`${name} must be within 0..1`);
  }
  return {
    users: options.users ?? defaultDemoUsers(),
    sitePath,
    cookieSuffix: options.cookieSuffix ?? "",
    pageBytes: options.pageBytes ?? 150_000,
    pageBytesByPath: options.pageBytesByPath ?? {},
    loginPageBytes: options.loginPageBytes ?? 24_000,
    latencyMs: options.latencyMs ?? 0,
    latencyByPath: options.latencyByPath ?? {},
    errorRate: options.errorRate ?? 0,
    errorStatus: options.errorStatus ?? 503,
    uploadMaxBytes: options.uploadMaxBytes ?? 10 * 1024 * 1024,
    slowRate: options.slowRate ?? 0,
    slowMs: options.slowMs ?? 1000,
    seed: options.seed ?? 1,
    sessionTtlSec: options.sessionTtlSec ?? 28_800,
    lockoutThreshold: options.lockoutThreshold ?? 0,
    perfdebug: options.perfdebug ?? true,
    maintenance: options.maintenance ?? false,
    tls: options.tls,
    cookieSecure: options.cookieSecure ?? true,
    compress: options.compress ?? true,
    hostname: options.hostname ?? "127.0.0.1",
    port: options.port ?? 0,
  };
}
