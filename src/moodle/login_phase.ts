/**
 * The login phase before a measured run: log every virtual user in with a small concurrency limit
 * (a login storm would distort the site), then report "logged in N/M" and failures by reason.
 */
import { renderTable } from "../output/table.ts";
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
      outcomes[index] = await users[index].login();
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

export interface LoginSummary {
  total: number;
  loggedIn: number;
  failed: number;
  /** Failures grouped by reason, largest group first. */
  byReason: { reason: LoginFailureReason; count: number; usernames: string[]; example?: string }[];
  /** Attempts over all users (retries included). */
  attempts: number;
}

export function summarizeLogins(outcomes: readonly LoginOutcome[]): LoginSummary {
  const groups = new Map<LoginFailureReason, { usernames: string[]; example?: string }>();
  for (const outcome of outcomes) {
    if (outcome.ok) continue;
    const reason = outcome.reason ?? "unexpected_page";
    const group = groups.get(reason) ?? { usernames: [] };
    group.usernames.push(outcome.username);
    group.example ??= outcome.detail;
    groups.set(reason, group);
  }
  const loggedIn = outcomes.filter((outcome) => outcome.ok).length;
  return {
    total: outcomes.length,
    loggedIn,
    failed: outcomes.length - loggedIn,
    byReason: [...groups].map(([reason, group]) => ({ reason, count: group.usernames.length, ...group }))
      .sort((a, b) => b.count - a.count || a.reason.localeCompare(b.reason)),
    attempts: outcomes.reduce((sum, outcome) => sum + outcome.attempts, 0),
  };
}

/** Usernames shown per reason before "… and N more". */
const NAMES_SHOWN = 8;

/**
 * "Logged in N/M" and, when some failed, a table of reasons with counts, usernames and one example
 * detail. Pure: the same outcomes always render the same text. Passwords never appear.
 */
export function renderLoginTable(outcomes: readonly LoginOutcome[]): string {
  const summary = summarizeLogins(outcomes);
  const retried = summary.attempts - summary.total;
  const head = `Logged in ${summary.loggedIn}/${summary.total} users` +
    (retried > 0 ? ` (${retried} retr${retried === 1 ? "y" : "ies"})` : "");
  if (summary.failed === 0) return head;
  const rows = summary.byReason.map((group) => {
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
