/** What the demo server did, for tests and for the demo command's closing lines. */

export class DemoCounters {
  /** Every request received (including injected errors). */
  requests = 0;
  /** Requests per path below the site (query string dropped), e.g. "/course/view.php". */
  readonly byPath = new Map<string, number>();
  /** Successful logins (POSTs that regenerated the session). */
  logins = 0;
  /** Failed login POSTs (wrong password, stale token, locked, suspended, unknown user). */
  loginFailures = 0;
  /** Logouts with a valid sesskey. */
  logouts = 0;
  /** Redirects to the login page because the request had no logged-in session. */
  notLoggedIn = 0;
  /** Requests answered with an injected error status. */
  injectedErrors = 0;
  /** Requests that were made slow on purpose. */
  slowResponses = 0;
  /** Requests that waited for another request of the same session. */
  sessionWaits = 0;
  /** Forum replies stored (post.php POSTs with the sesskey and a complete form). */
  forumPosts = 0;
  /** Files stored in a draft area by the upload repository. */
  uploads = 0;
  /** Assignment submissions saved (savesubmission with the sesskey), their files and bytes. */
  assignSubmissions = 0;
  submissionFiles = 0;
  submissionBytes = 0;
  /** Submitted files by size in bytes (how many of each size): a test checks each file's size. */
  readonly submissionFileSizes = new Map<number, number>();

  countPath(path: string): void {
    // Bounded: a scan of random paths must not grow memory without end.
    const key = this.byPath.has(path) || this.byPath.size < 1000 ? path : "(other)";
    this.byPath.set(key, (this.byPath.get(key) ?? 0) + 1);
  }

  /** A plain object copy (for JSON and assertions). */
  snapshot(): Record<string, unknown> {
    return {
      requests: this.requests,
      byPath: Object.fromEntries(this.byPath),
      logins: this.logins,
      loginFailures: this.loginFailures,
      logouts: this.logouts,
      notLoggedIn: this.notLoggedIn,
      injectedErrors: this.injectedErrors,
      slowResponses: this.slowResponses,
      sessionWaits: this.sessionWaits,
      forumPosts: this.forumPosts,
      uploads: this.uploads,
      assignSubmissions: this.assignSubmissions,
      submissionFiles: this.submissionFiles,
      submissionBytes: this.submissionBytes,
      submissionFileSizes: Object.fromEntries(this.submissionFileSizes),
    };
  }
}
