/**
 * Why each failed request failed: the engine puts the `errorMessage` of its PageResult into the
 * request-log entry (`reason`); counted here per error class, bounded, into the summary
 * (`error_reasons`). Measured requests only (the warm-up is not in the summary's counts either).
 */
import type { RequestLogEntry } from "../engine/engine.ts";

/** Distinct reasons kept per class; the rest are counted under OTHER_REASONS. */
export const MAX_REASONS_PER_CLASS = 20;
export const OTHER_REASONS = "(other reasons)";

export type ErrorReasonCounts = Record<string, Record<string, number>>;

export class ErrorReasons {
  readonly counts: ErrorReasonCounts = {};

  /** A request-log hook: counts the entry's reason, then passes the entry on. */
  onRequest(next?: (entry: RequestLogEntry) => void): (entry: RequestLogEntry) => void {
    return (entry) => {
      if (entry.error !== null && entry.reason !== null && !entry.warmup) {
        this.#count(entry.error, entry.reason);
      }
      next?.(entry);
    };
  }

  #count(errorClass: string, reason: string): void {
    const byReason = this.counts[errorClass] ??= {};
    let key = reasonKey(reason);
    if (!(key in byReason) && Object.keys(byReason).length >= MAX_REASONS_PER_CLASS) key = OTHER_REASONS;
    byReason[key] = (byReason[key] ?? 0) + 1;
  }
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
