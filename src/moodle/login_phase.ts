/**
 * The login phase before a measured run: log every virtual user in with a small concurrency limit
 * (a login storm would distort the site), then report "logged in N/M" and failures by reason.
 */
import { renderTable } from "../output/table.ts";
import { redactUrl } from "../util/redact.ts";
import type { LoginFailureReason, LoginOutcome, VirtualUser } from "../engine/types.ts";

export const DEFAULT_LOGIN_CONCURRENCY = 4;

export interface LoginPhaseOptions {
  /** Logins in flight at once (default 4). */
  concurrency?: number;
  /** Called after each login finishes (progress display). */
  onOutcome?: (outcome: LoginOutcome, done: number, total: number) => void;
  /** A stop signal: start no more logins and stop waiting for those in flight (their requests abort too). */
  signal?: AbortSignal;
}

/** Log users in, at most `concurrency` at a time; outcomes come back in the users' order. */
export async function loginAll(
  users: readonly VirtualUser[],
  options: LoginPhaseOptions = {},
): Promise<LoginOutcome[]> {
  const concurrency = Math.max(1, Math.floor(options.concurrency ?? DEFAULT_LOGIN_CONCURRENCY));
  const outcomes: LoginOutcome[] = new Array(users.length);
  let next = 0;
  let done = 0;
  const worker = async () => {
    while (next < users.length && !options.signal?.aborted) {
      const index = next++;
      const outcome = await users[index].login();
      // A failure's detail may quote base_url: it is shown and stored, so without its password.
      outcomes[index] = outcome.detail ? { ...outcome, detail: redactUrl(outcome.detail) } : outcome;
      done++;
      options.onOutcome?.(outcomes[index], done, users.length);
    }
  };
  const workers = Promise.all(Array.from({ length: Math.min(concurrency, users.length) }, worker));
  await untilAborted(workers, options.signal);
  return outcomes.filter((outcome) => outcome !== undefined);
}

/** `work`, or less when `signal` aborts first (a login retrying a dead site must not hold up a stop). */
async function untilAborted(work: Promise<unknown>, signal?: AbortSignal): Promise<void> {
  if (!signal) return void await work;
  let onAbort = () => {};
  const aborted = new Promise<void>((resolve) => {
    onAbort = resolve;
    if (signal.aborted) resolve();
    else signal.addEventListener("abort", onAbort, { once: true });
  });
  try {
    await Promise.race([work, aborted]);
  } finally {
    signal.removeEventListener("abort", onAbort);
  }
}

/** The users that failed for one reason, with the first failure's detail as an example. */
export interface LoginFailureGroup {
  reason: LoginFailureReason;
  count: number;
  usernames: string[];
  example?: string;
}

/** A failed login's reason (an outcome without one counts as an unexpected page). */
export function failureReason(outcome: LoginOutcome): LoginFailureReason {
  return outcome.reason ?? "unexpected_page";
}

/**
 * The one grouping of failed logins by reason, largest group first (then by name): the login table,
 * the summary's `login.by_reason` and run's "no user could log in" line all show this.
 */
export function groupLoginFailures(outcomes: readonly LoginOutcome[]): LoginFailureGroup[] {
  const groups = new Map<LoginFailureReason, { usernames: string[]; example?: string }>();
  for (const outcome of outcomes) {
    if (outcome.ok) continue;
    const reason = failureReason(outcome);
    const group = groups.get(reason) ?? { usernames: [] };
    group.usernames.push(outcome.username);
    group.example ??= outcome.detail;
    groups.set(reason, group);
  }
  return [...groups].map(([reason, group]) => ({ reason, count: group.usernames.length, ...group }))
    .sort((a, b) => b.count - a.count || a.reason.localeCompare(b.reason));
}

/** Usernames shown per reason before "… and N more". */
const NAMES_SHOWN = 8;

/**
 * "Logged in N/M" and, when some failed, a table of reasons with counts, usernames and one example
 * detail. Pure: the same outcomes always render the same text. Passwords never appear.
 */
export function renderLoginTable(outcomes: readonly LoginOutcome[]): string {
  const loggedIn = outcomes.filter((outcome) => outcome.ok).length;
  const retried = outcomes.reduce((sum, outcome) => sum + outcome.attempts, 0) - outcomes.length;
  const head = `Logged in ${loggedIn}/${outcomes.length} users` +
    (retried > 0 ? ` (${retried} retr${retried === 1 ? "y" : "ies"})` : "");
  if (loggedIn === outcomes.length) return head;
  const rows = groupLoginFailures(outcomes).map((group) => {
    const shown = group.usernames.slice(0, NAMES_SHOWN).join(", ");
    const more = group.usernames.length > NAMES_SHOWN
      ? ` … and ${group.usernames.length - NAMES_SHOWN} more`
      : "";
    return [group.reason, group.count, shown + more, group.example ?? ""];
  });
  return `${head}\n${
    renderTable(["Failure reason", "Users", "Usernames", "Example"], rows, {
      align: ["left", "right", "left", "left"],
    })
  }`;
}
