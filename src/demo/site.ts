/**
 * The demo Moodle site: one request in, one response out. Implements the login protocol, session
 * handling and page access rules of docs/moodle-protocol.md; `server.ts` puts it on a socket.
 */
import { DemoCounters } from "./counters.ts";
import { deletedSessionCookie, readCookie, sessionCookie, type SessionCookieOptions } from "./cookies.ts";
import { loginFormHtml, renderPage } from "./html.ts";
import { escapeHtml } from "../util/html.ts";
import type { ResolvedDemoOptions } from "./options.ts";
import { perfFooterHtml } from "./perf_footer_html.ts";
import { seededRandom } from "../util/random.ts";
import { randomString } from "./random.ts";
import { type DemoSession, SessionStore } from "./sessions.ts";
import { type DemoAccount, UserDirectory } from "./users.ts";
import { workOf } from "./workload.ts";
import { DemoAssignments, INVALID_SESSKEY } from "./assign.ts";
import { sleep } from "../util/sleep.ts";

export const INVALID_LOGIN = "Invalid login, please try again";
export const COOKIES_NOT_ENABLED = "Cookies must be enabled in your browser";
export const SESSION_TIMED_OUT = "Your session has timed out. Please log in again.";

/** Everything one request needs while it is handled. */
interface Exchange {
  url: URL;
  /** Path below the site, e.g. "/course/view.php". */
  path: string;
  method: string;
  form?: URLSearchParams;
  /** The files of a multipart POST (an upload). */
  files?: File[];
  session: DemoSession;
  /** Set-Cookie values to send. */
  cookies: string[];
  startedMs: number;
  sessionWaitMs: number;
  extraDbWrites: number;
}

export class DemoSite {
  readonly counters = new DemoCounters();
  readonly sessions: SessionStore;
  readonly users: UserDirectory;
  readonly cookieName: string;
  #wwwroot = "";
  #cookie!: SessionCookieOptions;
  readonly #random: () => number;
  #forcedFailures: number[] = [];
  /** Stored forum replies: post id → discussion. */
  readonly #postDiscussion = new Map<number, number>();
  readonly #assignments: DemoAssignments;

  constructor(readonly options: ResolvedDemoOptions) {
    this.sessions = new SessionStore(options.sessionTtlSec * 1000);
    this.users = new UserDirectory(options.users, options.lockoutThreshold);
    this.cookieName = `MoodleSession${options.cookieSuffix}`;
    this.#random = seededRandom(options.seed);
    this.#assignments = new DemoAssignments(this.counters, options.uploadMaxBytes);
  }

  /** `$CFG->wwwroot`, e.g. "http://127.0.0.1:41234/moodle"; set once the port is known. */
  setOrigin(origin: string): void {
    this.#wwwroot = origin + this.options.sitePath;
    this.#cookie = {
      name: this.cookieName,
      path: this.options.sitePath + "/",
      secure: origin.startsWith("https:") && this.options.cookieSecure,
    };
  }

  get wwwroot(): string {
    return this.#wwwroot;
  }

  /** The next `count` requests answer `status` (before any session handling). */
  injectFailures(count: number, status = this.options.errorStatus): void {
    for (let i = 0; i < count; i++) this.#forcedFailures.push(status);
  }

  async handle(request: Request): Promise<Response> {
    const startedMs = performance.now();
    const url = new URL(request.url);
    const site = this.options.sitePath;
    this.counters.requests++;
    if (site !== "" && url.pathname === site) return this.#redirect(`${this.#wwwroot}/`, []);
    if (!url.pathname.startsWith(site + "/")) return this.#notFound(url.pathname);
    const path = url.pathname.slice(site.length);
    this.counters.countPath(path);

    const injected = this.#injectedStatus();
    if (injected) {
      this.counters.injectedErrors++;
      await request.body?.cancel();
      return this.#serverError(injected);
    }

    // session_start(): an unknown or expired cookie gets a fresh session.
    const presented = readCookie(request.headers.get("cookie"), this.cookieName);
    const found = this.sessions.lookup(presented);
    const cookies: string[] = [];
    let session = found.session;
    if (!session) {
      session = this.sessions.create();
      // Moodle says "timed out" for any cookie it has no session for, not only for expired ones.
      session.hasTimedOut = found.expired || Boolean(presented);
      cookies.push(sessionCookie(session.id, this.#cookie));
    }
    const lock = await this.sessions.lock(session.id);
    if (lock.waitedMs > 1) this.counters.sessionWaits++;
    try {
      this.sessions.touch(session);
      await this.#work(path);
      const { form, files } = await readPost(request);
      return this.#route({
        url,
        path,
        method: request.method,
        form,
        files,
        session,
        cookies,
        startedMs,
        sessionWaitMs: lock.waitedMs,
        extraDbWrites: 0,
      });
    } finally {
      lock.release();
    }
  }

  #injectedStatus(): number | undefined {
    const forced = this.#forcedFailures.shift();
    if (forced) return forced;
    if (this.options.errorRate > 0 && this.#random() < this.options.errorRate) {
      return this.options.errorStatus;
    }
    return undefined;
  }

  async #work(path: string): Promise<void> {
    let ms = this.options.latencyByPath[path] ?? this.options.latencyMs;
    if (this.options.slowRate > 0 && this.#random() < this.options.slowRate) {
      this.counters.slowResponses++;
      ms += this.options.slowMs;
    }
    if (ms > 0) await sleep(ms);
  }

  #route(x: Exchange): Response {
    switch (x.path) {
      case "/login/index.php":
        return this.#loginPage(x);
      case "/login/logout.php":
        return this.#logout(x);
      case "/login/token.php":
        return json({
          error: "Web services must be enabled in Advanced features.",
          errorcode: "enablewsdescription",
          stacktrace: null,
          debuginfo: null,
          reproductionlink: null,
        });
    }
    // A script that does not exist is the web server's 404, before any Moodle code runs.
    if (!PAGES.has(x.path)) return this.#fileNotFound();
    if (this.options.maintenance) return this.#maintenancePage();
    // The front page is open to visitors: 200 with `notloggedin`, no redirect (as a real 4.3 answers).
    if ((x.path === "/" || x.path === "/index.php") && !this.#loggedInAccount(x)) {
      return this.#frontPageForVisitor(x);
    }
    const account = this.#requireLogin(x);
    if (account instanceof Response) return account;
    return this.#content(x, account);
  }

  // ---- login/index.php -------------------------------------------------------------------------

  #loginPage(x: Exchange): Response {
    const { session, url } = x;
    if (x.method === "POST" && x.form && x.form.has("username")) return this.#loginPost(x, x.form);

    const testsession = url.searchParams.get("testsession");
    if (testsession !== null) {
      if (session.userId !== 0 && String(session.userId) === testsession) {
        const target = session.wantsUrl ?? `${this.#wwwroot}/`;
        session.wantsUrl = undefined;
        return this.#redirect(target, x.cookies);
      }
      return this.#loginForm(x, COOKIES_NOT_ENABLED);
    }
    if (session.userId !== 0) {
      const account = this.users.byId(session.userId);
      const name = account ? fullName(account) : "";
      return this.#page(x, {
        title: "Log in to the site",
        bodyId: "page-login-index",
        fillKind: "login",
        targetBytes: this.options.loginPageBytes,
        account,
        main: `<div class="box py-3 generalbox"><p>You are already logged in as ${escapeHtml(name)}, ` +
          `you need to log out before logging in as different user.</p>` +
          `<form method="post" action="${this.#wwwroot}/login/logout.php"><input type="hidden" name="sesskey" value="${session.sesskey}">` +
          `<button type="submit" class="btn btn-primary">Log out</button></form>` +
          `<form method="get" action="${this.#wwwroot}/"><button type="submit" class="btn btn-secondary">Cancel</button></form></div>`,
      });
    }
    let message = session.loginErrorMessage;
    session.loginErrorMessage = undefined;
    if (!message && session.hasTimedOut) message = SESSION_TIMED_OUT;
    session.hasTimedOut = false;
    return this.#loginForm(x, message);
  }

  #loginForm(x: Exchange, error?: string): Response {
    // get_login_token(): one token per session until a POST validates (and replaces) it.
    x.session.loginToken ??= randomString(32);
    return this.#page(x, {
      title: "Log in to the site",
      bodyId: "page-login-index",
      fillKind: "login",
      targetBytes: this.options.loginPageBytes,
      main: loginFormHtml(this.#wwwroot, x.session.loginToken, error),
    });
  }

  #loginPost(x: Exchange, form: URLSearchParams): Response {
    const session = x.session;
    // validate_login_token(): whatever happens, the token is used up.
    const expected = session.loginToken;
    session.loginToken = randomString(32);
    const tokenOk = expected !== undefined && form.get("logintoken") === expected;
    const username = (form.get("username") ?? "").trim().toLowerCase();
    const result = tokenOk
      ? this.users.authenticate(username, form.get("password") ?? "")
      : { ok: false as const };
    if (!result.ok) {
      this.counters.loginFailures++;
      session.loginErrorMessage = INVALID_LOGIN;
      // "We must redirect after every password submission."
      return this.#redirect(`${this.#wwwroot}/login/index.php`, x.cookies);
    }
    // complete_user_login(): the session id is regenerated.
    const fresh = this.sessions.regenerate(session);
    fresh.userId = result.account.id;
    fresh.loginToken = undefined;
    fresh.loginErrorMessage = undefined;
    fresh.hasTimedOut = false;
    this.counters.logins++;
    const cookies = [sessionCookie(fresh.id, this.#cookie)];
    // A forced password change skips the testsession hop (measured on 4.3).
    if (result.account.forcePasswordChange) {
      return this.#redirect(`${this.#wwwroot}/login/change_password.php`, cookies);
    }
    let urlToGo: string;
    if (result.account.profileIncomplete) {
      urlToGo = `${this.#wwwroot}/user/edit.php`;
    } else if (fresh.wantsUrl && fresh.wantsUrl.startsWith(this.#wwwroot)) {
      urlToGo = fresh.wantsUrl;
    } else {
      urlToGo = `${this.#wwwroot}/`;
    }
    fresh.wantsUrl = urlToGo;
    return this.#redirect(`${this.#wwwroot}/login/index.php?testsession=${result.account.id}`, cookies);
  }

  // ---- logout ----------------------------------------------------------------------------------

  #logout(x: Exchange): Response {
    const { session } = x;
    if (session.userId === 0) return this.#redirect(`${this.#wwwroot}/`, x.cookies);
    const given = x.url.searchParams.get("sesskey") ?? x.form?.get("sesskey");
    if (given !== session.sesskey) {
      return this.#page(x, {
        title: "Log out",
        bodyId: "page-login-logout",
        fillKind: "login",
        targetBytes: 0,
        account: this.users.byId(session.userId),
        main:
          `<div class="modal-dialog" role="alertdialog"><div class="modal-content"><div class="modal-body">` +
          `<p>Do you really want to log out?</p></div><div class="modal-footer">` +
          `<form method="post" action="${this.#wwwroot}/login/logout.php"><input type="hidden" name="sesskey" value="${session.sesskey}">` +
          `<button type="submit" class="btn btn-primary">Continue</button></form></div></div></div>`,
      });
    }
    this.sessions.destroy(session);
    this.counters.logouts++;
    return this.#redirect(`${this.#wwwroot}/`, [deletedSessionCookie(this.#cookie)]);
  }

  // ---- require_login() -------------------------------------------------------------------------

  #loggedInAccount(x: Exchange): DemoAccount | undefined {
    return x.session.userId ? this.users.byId(x.session.userId) : undefined;
  }

  #frontPageForVisitor(x: Exchange): Response {
    return this.#page(x, {
      title: "Demo site",
      bodyId: "page-site-index",
      fillKind: "dashboard",
      main:
        `<div class="logininfo">You are not logged in. (<a href="${this.#wwwroot}/login/index.php">Log in</a>)</div>`,
      targetBytes: 0,
    });
  }

  #requireLogin(x: Exchange): DemoAccount | Response {
    const account = this.#loggedInAccount(x);
    if (!account) {
      this.counters.notLoggedIn++;
      x.session.wantsUrl = x.url.href;
      return this.#redirect(`${this.#wwwroot}/login/index.php`, x.cookies);
    }
    if (account.forcePasswordChange && x.path !== "/login/change_password.php") {
      return this.#redirect(`${this.#wwwroot}/login/change_password.php`, x.cookies);
    }
    if (account.profileIncomplete && x.path !== "/user/edit.php" && x.path !== "/login/change_password.php") {
      x.session.wantsUrl = x.url.href;
      return this.#redirect(`${this.#wwwroot}/user/edit.php`, x.cookies);
    }
    if (account.policyNotAccepted && !["/user/policy.php", "/user/edit.php"].includes(x.path)) {
      x.session.wantsUrl = x.url.href;
      return this.#redirect(`${this.#wwwroot}/user/policy.php`, x.cookies);
    }
    return account;
  }

  // ---- pages -----------------------------------------------------------------------------------

  /** Long because it is the route table: one case per Moodle script the demo serves, each a few lines. */
  #content(x: Exchange, account: DemoAccount): Response {
    const q = x.url.searchParams;
    const page = (title: string, bodyId: string, fillKind: string, main: string) =>
      this.#page(x, { title, bodyId, fillKind, main, account, targetBytes: this.#sizeOf(x.path) });
    const intParam = (name: string): number | undefined => {
      const value = q.get(name);
      return value !== null && /^\d+$/.test(value) ? Number(value) : undefined;
    };
    const courseGate = (courseId: number): Response | undefined =>
      account.notEnrolled && courseId !== 1
        ? this.#redirect(`${this.#wwwroot}/enrol/index.php?id=${courseId}`, x.cookies)
        : undefined;

    switch (x.path) {
      case "/":
      case "/index.php":
        // defaulthomepage = Dashboard
        return this.#redirect(`${this.#wwwroot}/my/`, x.cookies);
      case "/my/":
      case "/my/index.php":
        return page("Dashboard", "page-my-index", "dashboard", `<div class="block_timeline">Timeline</div>`);
      case "/my/courses.php":
        return page(
          "My courses",
          "page-my-courses",
          "dashboard",
          `<div class="block_myoverview">Course overview</div>`,
        );
      case "/course/view.php": {
        const id = intParam("id");
        if (id === undefined || id < 1) {
          return this.#moodleError(x, "Must specify course id, short name or idnumber", "unspecifycourseid");
        }
        if (id === 1) return this.#redirect(`${this.#wwwroot}/`, x.cookies);
        return courseGate(id) ??
          page(
            `Course ${id}`,
            "page-course-view-topics",
            "course",
            `<ul class="topics" data-course="${id}"></ul>`,
          );
      }
      case "/user/index.php": {
        const id = intParam("id") ?? 1;
        return courseGate(id) ??
          page(
            "Participants",
            "page-user-index",
            "course",
            `<table id="participants" data-course="${id}"></table>`,
          );
      }
      case "/mod/page/view.php":
      case "/mod/forum/view.php": {
        const id = intParam("id") ?? intParam("f");
        if (id === undefined) return this.#moodleError(x, "Invalid course module ID", "invalidcoursemodule");
        const kind = x.path.startsWith("/mod/page") ? "page" : "forum";
        return courseGate(courseOfModule(id)) ??
          page(
            `${kind === "page" ? "Page" : "Forum"} ${id}`,
            `page-mod-${kind}-view`,
            kind,
            `<div role="main"></div>`,
          );
      }
      case "/mod/forum/discuss.php": {
        const d = intParam("d");
        if (d === undefined) {
          return this.#moodleError(x, "The discussion was not found", "errordiscussionnotfound");
        }
        return courseGate(courseOfModule(d)) ??
          page(
            `Discussion ${d}`,
            "page-mod-forum-discuss",
            "forum",
            `<div class="discussion-list" data-d="${d}"><a data-region="post-action" href="${this.#wwwroot}` +
              `/mod/forum/post.php?reply=${firstPostOf(d)}#mformforum" class="btn btn-link">Reply</a></div>`,
          );
      }
      case "/mod/forum/post.php":
        return this.#forumPost(x, page);
      case "/mod/assign/view.php":
        return this.#assign(x, account, page);
      case "/repository/repository_ajax.php":
        return json(this.#assignments.upload({
          userId: account.id,
          sesskeyOk: x.form?.get("sesskey") === x.session.sesskey,
          fields: x.form ?? new URLSearchParams(),
          file: x.files?.[0],
        }, this.#wwwroot));
      case "/enrol/index.php":
        return page(
          "Enrolment options",
          "page-enrol-index",
          "page",
          `<div id="notice" class="box py-3 generalbox">You cannot enrol yourself in this course.</div>`,
        );
      case "/login/change_password.php":
        return page(
          "Change password",
          "page-login-change_password",
          "page",
          `<div class="alert alert-warning">You must change your password to proceed.</div>`,
        );
      case "/user/edit.php":
        return page("Edit profile", "page-user-edit", "page", `<form id="mform1" class="mform"></form>`);
      case "/user/policy.php":
        return page(
          "Policies",
          "page-user-policy",
          "page",
          `<div class="noticebox">You must agree to this policy to continue using this site.</div>`,
        );
      default:
        return this.#fileNotFound();
    }
  }

  /**
   * Moodle's forum reply (mod/forum/post.php): GET ?reply=POST shows the mform (hidden fields, the
   * sesskey among them); its POST needs the sesskey (missing or wrong: Moodle's 404 error pages),
   * the form's `_qf__` marker and a subject and message (else the form again, 200, as Moodle
   * redisplays an invalid mform), then stores the post and answers 303 to discuss.php?d=D#pNEW.
   */
  #forumPost(
    x: Exchange,
    page: (title: string, bodyId: string, fillKind: string, main: string) => Response,
  ): Response {
    const form = x.method === "POST" ? x.form : undefined;
    const reply = Number(form?.get("reply") ?? x.url.searchParams.get("reply") ?? "0");
    if (!Number.isInteger(reply) || reply <= 0) {
      return this.#errorPage(404, "Can't find data record in database table forum_posts.");
    }
    const discussion = this.#discussionOfPost(reply);
    if (form) {
      const sesskey = form.get("sesskey");
      // confirm_sesskey() throws a moodle_exception: a 404 error page, not a redirect.
      if (!sesskey) return this.#moodleError(x, "A required parameter (sesskey) was missing", "missingparam");
      if (sesskey !== x.session.sesskey) {
        return this.#moodleError(x, INVALID_SESSKEY, "invalidsesskey");
      }
      if (form.get("_qf__mod_forum_post_form") === "1" && form.get("subject") && form.get("message[text]")) {
        const id = FIRST_POST_ID + 1_000_000 + this.counters.forumPosts++;
        this.#postDiscussion.set(id, discussion);
        x.extraDbWrites += 6;
        return this.#redirect(`${this.#wwwroot}/mod/forum/discuss.php?d=${discussion}#p${id}`, x.cookies);
      }
    }
    const field = (name: string, value: string | number) =>
      `<input name="${name}" type="hidden" value="${escapeHtml(String(value))}">`;
    return page(
      "Reply",
      "page-mod-forum-post",
      "forum",
      `<form autocomplete="off" action="${this.#wwwroot}/mod/forum/post.php" method="post" accept-charset="utf-8" ` +
        `id="mformforum" class="mform">` + field("course", 4) + field("forum", 1) +
        field("discussion", discussion) +
        field("parent", reply) + field("groupid", -1) + field("edit", 0) + field("reply", reply) +
        field("sesskey", x.session.sesskey) + field("_qf__mod_forum_post_form", 1) +
        `<input type="text" name="subject" id="id_subject" value="Re: Discussion ${discussion}">` +
        `<textarea name="message[text]" id="id_messageeditable"></textarea>` + field("message[format]", 1) +
        field("message[itemid]", 123456789) +
        `<input type="checkbox" name="discussionsubscribe" value="1" checked>` +
        `<input type="submit" name="submitbutton" id="id_submitbutton" value="Post to forum">` +
        `<input type="submit" name="cancel" id="id_cancel" value="Cancel"></form>`,
    );
  }

  /** mod/assign/view.php: the submission form (action=editsubmission), its save, or the assignment. */
  #assign(
    x: Exchange,
    account: DemoAccount,
    page: (title: string, bodyId: string, fillKind: string, main: string) => Response,
  ): Response {
    const cmid = Number((x.form ?? x.url.searchParams).get("id") ?? "0");
    if (!Number.isInteger(cmid) || cmid <= 0) {
      return this.#moodleError(x, "Invalid course module ID", "invalidcoursemodule");
    }
    const action = (x.form ?? x.url.searchParams).get("action");
    if (x.form && action === "savesubmission") {
      const sesskey = x.form.get("sesskey");
      if (!sesskey) return this.#moodleError(x, "A required parameter (sesskey) was missing", "missingparam");
      if (sesskey !== x.session.sesskey) return this.#moodleError(x, INVALID_SESSKEY, "invalidsesskey");
      if (x.form.get("_qf__mod_assign_submission_form") === "1" && !x.form.has("cancel")) {
        this.#assignments.submit(account.id, Number(x.form.get("files_filemanager")));
        x.extraDbWrites += 8;
      }
      return this.#redirect(`${this.#wwwroot}/mod/assign/view.php?id=${cmid}&action=view`, x.cookies);
    }
    const main = action === "editsubmission"
      ? this.#assignments.editForm(this.#wwwroot, cmid, account.id, x.session.sesskey)
      : `<div class="submissionstatustable">Submission status</div>`;
    return page(`Assignment ${cmid}`, `page-mod-assign-${action ?? "view"}`, "page", main);
  }

  /** Which discussion a post belongs to: a first post's by its id, a stored reply's by the map. */
  #discussionOfPost(post: number): number {
    return this.#postDiscussion.get(post) ?? (post > FIRST_POST_ID ? post - FIRST_POST_ID : 1);
  }

  #sizeOf(path: string): number {
    return this.options.pageBytesByPath[path] ?? this.options.pageBytes;
  }

  // ---- responses -------------------------------------------------------------------------------

  #page(
    x: Exchange,
    p: {
      title: string;
      bodyId: string;
      fillKind: string;
      main: string;
      targetBytes: number;
      account?: DemoAccount;
      status?: number;
    },
  ): Response {
    const work = workOf(x.path, p.targetBytes);
    const html = renderPage({
      wwwroot: this.#wwwroot,
      title: p.title,
      bodyId: p.bodyId,
      sesskey: x.session.sesskey,
      userFullName: p.account ? fullName(p.account) : undefined,
      userId: p.account?.id,
      main: p.main,
      fillKind: p.fillKind,
      targetBytes: p.targetBytes,
      perfFooter: this.options.perfdebug
        ? () => {
          const timeUsedSec = (performance.now() - x.startedMs) / 1000;
          return perfFooterHtml({
            timeUsedSec,
            memoryBytes: work.memoryBytes,
            memoryPeakBytes: Math.round(work.memoryBytes * 1.15),
            includedFiles: work.includedFiles,
            getStringCalls: work.includedFiles + 109,
            dbReads: work.dbReads,
            dbWrites: work.dbWrites + x.extraDbWrites,
            dbTimeSec: Math.min(
              timeUsedSec,
              work.dbReads * 0.0002 + (timeUsedSec - x.sessionWaitMs / 1000) * 0.2,
            ),
            sessionSizeBytes: 4_400,
            sessionWaitSec: x.sessionWaitMs / 1000,
          });
        }
        : undefined,
    });
    const headers = pageHeaders();
    for (const cookie of x.cookies) headers.append("set-cookie", cookie);
    return new Response(html, { status: p.status ?? 200, headers });
  }

  /**
   * A moodle_exception as Moodle 4.3 renders it: 404, a full themed page (perf footer included)
   * whose body id is the script's, with the fatalerror box. See docs/moodle-protocol.md.
   */
  #moodleError(x: Exchange, message: string, errorcode: string): Response {
    return this.#page(x, {
      title: "Error",
      bodyId: `page-${x.path.replace(/^\/|\.php$/g, "").replace(/\/$/, "-index").replaceAll("/", "-")}`,
      fillKind: "page",
      targetBytes: 0,
      account: x.session.userId ? this.users.byId(x.session.userId) : undefined,
      status: 404,
      main: errorBox(message, errorcode),
    });
  }

  /** What nginx + php-fpm answer for a .php script that does not exist. */
  #fileNotFound(): Response {
    return new Response("File not found.\n", {
      status: 404,
      headers: { "content-type": "text/html; charset=UTF-8" },
    });
  }

  /** Moodle's redirect(): 303, `Location`, `X-Redirect-By: Moodle`, a tiny continue page. */
  #redirect(location: string, cookies: string[]): Response {
    const headers = pageHeaders();
    headers.set("location", location);
    headers.set("x-redirect-by", "Moodle");
    for (const cookie of cookies) headers.append("set-cookie", cookie);
    const body =
      `<!DOCTYPE html><html><head><meta http-equiv="refresh" content="0; url=${
        escapeHtml(location)
      }" /></head>` +
      `<body><div>This page should automatically redirect. If nothing is happening please use the continue link below.<br />` +
      `<a href="${escapeHtml(location)}">Continue</a></div></body></html>`;
    return new Response(body, { status: 303, headers });
  }

  /**
   * Moodle's error page (core_renderer::fatal_error): 404 and the fatal error box, as a real 4.3
   * answers an invalid id or a missing capability (tests/fixtures/moodle/error_*.html).
   */
  #errorPage(status: number, message?: string): Response {
    const text = message ?? (status >= 500 ? "Error reading from database" : "Error");
    const body = `<!DOCTYPE html><html><head><title>Error</title></head><body id="page-site-index">` +
      `${errorBox(text, status >= 500 ? "dmlreadexception" : "generalexceptionmessage")}</body></html>`;
    return new Response(body, { status, headers: pageHeaders() });
  }

  /** Moodle's maintenance message (print_maintenance_message), as a real 4.3 shows it. */
  #maintenancePage(): Response {
    const body = `<!DOCTYPE html><html><head><title>In maintenance mode | Demo</title></head>` +
      `<body id="page-maintenance-message">` +
      `<div role="main"><div class="box py-3 generalbox maintenancewarning">This site is undergoing ` +
      `maintenance and is currently not available</div></div></body></html>`;
    return new Response(body, {
      status: 503,
      statusText: "Moodle under maintenance",
      headers: pageHeaders(),
    });
  }

  /** An injected failure, as the web server in front of PHP shows it (no Moodle page). */
  #serverError(status: number): Response {
    const body = `<html><head><title>${status}</title></head><body><center><h1>${status}</h1></center>` +
      `<hr><center>nginx</center></body></html>`;
    return new Response(body, { status, headers: pageHeaders() });
  }

  #notFound(pathname: string): Response {
    return new Response(`Not Found: ${pathname}\n`, {
      status: 404,
      headers: { "content-type": "text/plain" },
    });
  }
}

/** Scripts of the demo site behind require_login() (the login scripts are handled before). */
const PAGES = new Set([
  "/",
  "/index.php",
  "/my/",
  "/my/index.php",
  "/my/courses.php",
  "/course/view.php",
  "/mod/page/view.php",
  "/mod/forum/view.php",
  "/mod/forum/discuss.php",
  "/mod/forum/post.php",
  "/mod/assign/view.php",
  "/repository/repository_ajax.php",
  "/enrol/index.php",
  "/login/change_password.php",
  "/user/edit.php",
  "/user/index.php",
  "/user/policy.php",
]);

function pageHeaders(): Headers {
  return new Headers({
    "content-type": "text/html; charset=utf-8",
    "cache-control": "private, pre-check=0, post-check=0, max-age=0, no-transform",
    "pragma": "no-cache",
    "expires": "Mon, 20 Aug 1969 09:23:00 GMT",
    "content-language": "en",
    "x-ua-compatible": "IE=edge",
  });
}

/** Moodle's fatal error box (core_renderer::fatal_error). */
function errorBox(message: string, errorcode: string): string {
  return `<div data-rel="fatalerror" class="box py-3 errorbox alert alert-danger">` +
    `<p class="errormessage">${escapeHtml(message)}</p><p class="errorcode">` +
    `<a href="https://docs.moodle.org/403/en/error/moodle/${errorcode}">More information about this error</a>` +
    `</p></div>`;
}

/** A POST's fields (urlencoded or multipart) and, for a multipart one, its files. */
async function readPost(request: Request): Promise<{ form?: URLSearchParams; files?: File[] }> {
  if (request.method !== "POST") return {};
  if (!(request.headers.get("content-type") ?? "").startsWith("multipart/form-data")) {
    return { form: new URLSearchParams(await request.text()) };
  }
  const form = new URLSearchParams();
  const files: File[] = [];
  for (const [name, value] of await request.formData()) {
    if (typeof value === "string") form.append(name, value);
    else files.push(value);
  }
  return { form, files };
}

function json(value: unknown): Response {
  return new Response(JSON.stringify(value), {
    headers: { "content-type": "application/json; charset=utf-8" },
  });
}

function fullName(account: DemoAccount): string {
  const n = account.username;
  return `${n.charAt(0).toUpperCase()}${n.slice(1)} Demo`;
}

/** Course modules and discussions belong to courses 2..51. */
/** The demo's first post of discussion d is FIRST_POST_ID + d (what discuss.php links "Reply" to). */
const FIRST_POST_ID = 100_000;

function firstPostOf(discussion: number): number {
  return FIRST_POST_ID + discussion;
}

function courseOfModule(id: number): number {
  return (id % 50) + 2;
}
