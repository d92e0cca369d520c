/**
 * Errors that end a command with one clear line, and every exit code the tool uses: the one table the
 * README's "Exit codes" section documents. Commands name a code here, never a literal.
 */

export const EXIT = {
  /** Done (bisect: the commit is good). */
  ok: 0,
  /** A failure named in one line (bisect: the commit is bad). */
  failure: 1,
  /** Bad flag, option value or config. */
  usage: 2,
  /** `run`: no user could log in. */
  noUsers: 3,
  /** `compare --fail-on`: a criterion could not be judged (too few samples) and none fired. */
  cannotJudge: 4,
  /** A `--threshold` or `compare --fail-on` criterion was crossed (as k6 does). */
  thresholdCrossed: 99,
  /** `bisect`: skip this commit (git bisect's "cannot test"). */
  bisectSkip: 125,
  /** Stopped by SIGHUP (128 + 1): files written. */
  hangup: 129,
  /** Stopped by Ctrl-C / SIGINT (128 + 2): files written. */
  interrupted: 130,
  /** Stopped by SIGTERM (128 + 15, a CI timeout): files written. */
  terminated: 143,
  /** `bisect`: stop the bisection (git bisect's abort range). */
  bisectAbort: 255,
} as const;
export type ExitCode = typeof EXIT[keyof typeof EXIT];

/** A problem the user can fix: printed as one line (`what; how to fix`), no stack trace. */
export class UserError extends Error {
  constructor(message: string, readonly exitCode: number = EXIT.failure) {
    super(message);
    this.name = "UserError";
  }
}
