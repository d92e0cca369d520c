/**
 * Pages Moodle answers instead of the one asked for (pure; no I/O). A logged-in user asking for a
 * course page can end, with a 200, on the enrolment page, the site policy, the forced password
 * change, or get Moodle's maintenance or error page: none of those is the page measured, so each
 * is a failure of its own class. Markers were read from a real Moodle 4.3 (see
 * tests/fixtures/moodle/ and docs/moodle-protocol.md): the final URL's path after Moodle's 303,
 * and the `<body id="page-…">` near the start of the page, which names the script that rendered it.
 */
import type { ErrorClass, LoginFailureReason } from "../engine/types.ts";
import { BytePattern, indexOfChunks, sliceChunks } from "./transport/chunks.ts";
import { HEAD_BYTES } from "./transport/body.ts";

export type DetourClass = Extract<
  ErrorClass,
  "not_enrolled" | "moodle_error" | "maintenance" | "policy" | "password_change"
>;

/** A page Moodle redirects a user to: where (path), how the page names itself (body id). */
export interface RedirectDetour {
  errorClass: DetourClass;
  /** The same detour met at login. */
  loginReason: LoginFailureReason;
  path: RegExp;
  bodyId: RegExp;
  what: string;
}

export const REDIRECT_DETOURS: readonly RedirectDetour[] = [
  {
    errorClass: "not_enrolled",
    loginReason: "not_enrolled",
    path: /\/enrol\/index\.php$/,
    bodyId: /^page-enrol-index$/,
    what: "not enrolled: Moodle sent the user to the enrolment page",
  },
  {
    errorClass: "policy",
    loginReason: "policy_not_accepted",
    path: /\/user\/policy\.php$|\/admin\/tool\/policy\//,
    bodyId: /^page-user-policy$|^page-admin-tool-policy-/,
    what: "site policy not accepted: Moodle sent the user to the policy page",
  },
  {
    errorClass: "password_change",
    loginReason: "password_change_forced",
    path: /\/login\/change_password\.php$/,
    bodyId: /^page-login-change_password$/,
    what: "forced password change: Moodle sent the user to the change-password page",
  },
];

export interface PageFacts {
  /** The URL asked for. */
  requestedUrl: string;
  finalUrl: string;
  status: number;
  /** The start of the final page as text (the first 64 KB is plenty). */
  head: string;
}

export interface Detour {
  errorClass: DetourClass;
  /** One line: what Moodle did instead, with the URL and (for errors) Moodle's own message. */
  message: string;
}

const BODY_ID = /<body\b[^>]*?\bid\s*=\s*["']([^"']+)["']/i;
const TITLE = /<title>([^<]*)<\/title>/i;
/** Moodle's fatal error box (core_renderer::fatal_error); the message follows it. */
const FATAL = 'data-rel="fatalerror"';
const ERROR_MESSAGE = /<p class="errormessage">([^<]*)<\/p>/;

/** Whether a final page is one of Moodle's detours, and which. */
export function classifyDetour(facts: PageFacts): Detour | undefined {
  const bodyId = BODY_ID.exec(facts.head)?.[1];
  if (facts.status === 503 && (bodyId === "page-maintenance-message" || isMaintenanceTitle(facts.head))) {
    return { errorClass: "maintenance", message: `site in maintenance mode (HTTP 503 at ${facts.finalUrl})` };
  }
  const fatal = facts.head.indexOf(FATAL);
  if (fatal >= 0) {
    const text = ERROR_MESSAGE.exec(facts.head.slice(fatal, fatal + 2048))?.[1];
    return {
      errorClass: "moodle_error",
      message:
        `Moodle error page (HTTP ${facts.status}): ${text ? decodeEntities(text).trim() : "no message"}` +
        ` at ${facts.finalUrl}`,
    };
  }
  const finalPath = pathOf(facts.finalUrl);
  // Asking for the enrolment (policy, …) page itself is no detour.
  if (finalPath === pathOf(facts.requestedUrl)) return undefined;
  const detour = REDIRECT_DETOURS.find((d) => d.path.test(finalPath) || (bodyId && d.bodyId.test(bodyId)));
  return detour && { errorClass: detour.errorClass, message: `${detour.what} (${facts.finalUrl})` };
}

/** The detour a login chain passed through (any URL on the way), for login failures. */
export function loginDetour(urls: readonly string[]): RedirectDetour | undefined {
  for (const url of urls) {
    const path = pathOf(url);
    const detour = REDIRECT_DETOURS.find((d) => d.path.test(path));
    if (detour) return detour;
  }
  return undefined;
}

function isMaintenanceTitle(head: string): boolean {
  return /maintenance/i.test(TITLE.exec(head)?.[1] ?? "");
}

function decodeEntities(text: string): string {
  return text.replace(/&#0*39;|&apos;/g, "'").replace(/&quot;/g, '"').replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">").replace(/&amp;/g, "&");
}

function pathOf(url: string): string {
  try {
    return new URL(url).pathname;
  } catch {
    return url;
  }
}

const BODY_TAG = new BytePattern("<body");
/** The tag is ASCII; UTF-8 decoding is the fast native path (latin1 was 4× slower here). */
const TAG_DECODER = new TextDecoder();
/** How far into a body's kept chunks its `<body` tag is looked for (the head). */
const BODY_TAG_WITHIN = HEAD_BYTES;

/**
 * Whether the page's `<body>` tag carries Moodle's `notloggedin` class: the page was rendered for a
 * visitor, so the user's session is gone. Pages that guests may see (the front page `/`, a course open
 * to guests) answer 200 with no redirect to the login page, so this is the only sign of a lost session
 * there (and after a logout: 303 to `/`, then the front page for a visitor). A byte search for `<body`
 * in the kept head (its chunks as received, not joined), then a look at that tag only: no decoding of
 * the page (a 4.3 page puts `<body` at ~13 KB).
 */
export function pageSaysLoggedOut(head: Uint8Array | readonly Uint8Array[]): boolean {
  const chunks = head instanceof Uint8Array ? [head] : head;
  const within = head instanceof Uint8Array ? head.byteLength : BODY_TAG_WITHIN;
  const at = indexOfChunks(chunks, BODY_TAG, 0, within);
  if (at < 0) return false;
  const tag = TAG_DECODER.decode(sliceChunks(chunks, at, Math.min(at + 2048, within)));
  const end = tag.indexOf(">");
  return /\bclass\s*=\s*["'][^"']*\bnotloggedin\b/.test(end < 0 ? tag : tag.slice(0, end));
}
