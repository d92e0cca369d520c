/**
 * Why each failed request failed: the `errorMessage` of its PageResult goes into the request log
 * (`reason`) and, counted per error class, into the summary (`error_reasons`). The engine logs the
 * class only; this sits between the users and the engine, so the engine stays untouched: each
 * user's `get()` results are queued by username (one request in flight per user, and the engine
 * completes results in the order they resolve), and the request-log hook takes the oldest.
 */
import type { RequestLogEntry } from "../engine/engine.ts";
import type { PageResult, VirtualUser } from "../engine/types.ts";

/** Distinct reasons kept per class; the rest are counted under OTHER_REASONS. */
export const MAX_REASONS_PER_CLASS = 20;
export const OTHER_REASONS = "(other reasons)";

export type ErrorReasonCounts = Record<string, Record<string, number>>;

/** A request-log line with the reason of a failure (null on success). */
export type ReasonedLogEntry = RequestLogEntry & { reason: string | null };

export class ErrorReasons {
  readonly counts: ErrorReasonCounts = {};
  readonly #pending = new Map<string, PageResult[]>();

  /** The users, each wrapped so that its results are seen here. */
  wrap(users: readonly VirtualUser[]): VirtualUser[] {
    return users.map((user) => this.#wrapOne(user));
  }

  #wrapOne(user: VirtualUser): VirtualUser {
    const queue = (): PageResult[] => {
      let list = this.#pending.get(user.username);
      if (!list) this.#pending.set(user.username, list = []);
      return list;
    };
    return {
      get username() {
        return user.username;
      },
      get loggedIn() {
        return user.loggedIn;
      },
      login: () => user.login(),
      get: async (url, options) => {
        try {
          const result = await user.get(url, options);
          queue().push(result);
          return result;
        } catch (error) {
          // The engine turns a throw into class "other"; keep its message as the reason.
          queue().push({
            status: 0,
            finalUrl: url,
            bytes: 0,
            sessionLost: false,
            errorMessage: String(error),
          });
          throw error;
        }
      },
    };
  }

  /** A request-log hook: adds `reason` to the entry, counts it, then passes it on. */
  onRequest(next?: (entry: ReasonedLogEntry) => void): (entry: RequestLogEntry) => void {
    return (entry) => {
      const result = this.#pending.get(entry.user)?.shift();
      const logged = entry as ReasonedLogEntry;
      logged.reason = entry.error === null ? null : reasonOf(entry, result);
      if (logged.reason !== null && !entry.warmup) this.#count(entry.error!, logged.reason);
      next?.(logged);
    };
  }

  #count(errorClass: string, reason: string): void {
    const byReason = this.counts[errorClass] ??= {};
    let key = reasonKey(reason);
    if (!(key in byReason) && Object.keys(byReason).length >= MAX_REASONS_PER_CLASS) key = OTHER_REASONS;
    byReason[key] = (byReason[key] ?? 0) + 1;
  }
}

function reasonOf(entry: RequestLogEntry, result: PageResult | undefined): string {
  if (result?.errorMessage) return result.errorMessage;
  return entry.status > 0 ? `HTTP ${entry.status} at ${result?.finalUrl || entry.url}` : "no response";
}

/**
 * The reason as counted: URLs reduced to their path (no host, no query) and long numbers (byte
 * counts, ids) to "N", so that one cause is one row however many pages and ids it hit.
 */
export function reasonKey(reason: string): string {
  return reason
    .replace(/https?:\/\/[^\s)]+/g, (url) => URL.canParse(url) ? new URL(url).pathname : url)
    .replace(/\d{5,}/g, "N");
}
