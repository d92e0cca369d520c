/**
 * Why each failed request failed: the engine puts the `errorMessage` of its PageResult into the
 * request-log entry (`reason`); counted here per error class, bounded, into the summary
 * (`error_reasons`), with the first request that failed for each reason as its example
 * (`error_examples`: endpoint and path, as Locust's Failures tab shows one message with its count).
 * Measured requests only (the warm-up is not in the summary's counts either).
 */
import type { RequestLogEntry } from "../engine/engine.ts";
import { redactedPathAndQuery } from "../util/redact.ts";

/** Distinct reasons kept per class; the rest are counted under OTHER_REASONS. */
export const MAX_REASONS_PER_CLASS = 20;
export const OTHER_REASONS = "(other reasons)";

export type ErrorReasonCounts = Record<string, Record<string, number>>;

/** One request that failed for a reason: its endpoint (or journey step) and URL path with query. */
export interface ErrorExample {
  endpoint: string;
  /** Path and query only (no scheme, host or credentials; secret query values `***`): redact.ts. */
  url: string;
}

/** Class → reason (as counted, OTHER_REASONS included) → the first example seen. */
export type ErrorExamples = Record<string, Record<string, ErrorExample>>;

export class ErrorReasons {
  readonly counts: ErrorReasonCounts = {};
  readonly examples: ErrorExamples = {};

  /** A request-log hook: counts the entry's reason, then passes the entry on. */
  onRequest(next?: (entry: RequestLogEntry) => void): (entry: RequestLogEntry) => void {
    return (entry) => {
      if (entry.error !== null && entry.reason !== null && !entry.warmup) {
        // The entry object is reused for the next request: the example is a copy (made once per reason).
        this.add(entry.error, reasonKey(entry.reason), 1, () => exampleOf(entry.endpoint, entry.url));
      }
      next?.(entry);
    };
  }

  /**
   * `count` failures of `errorClass` for the (already keyed) reason; a reason past the bound counts
   * under OTHER_REASONS. The first example of a row wins (`example` is only called then).
   */
  add(errorClass: string, key: string, count: number, example?: () => ErrorExample | undefined): void {
    const byReason = this.counts[errorClass] ??= {};
    if (!(key in byReason) && Object.keys(byReason).length >= MAX_REASONS_PER_CLASS) key = OTHER_REASONS;
    byReason[key] = (byReason[key] ?? 0) + count;
    const examples = this.examples[errorClass] ??= {};
    if (!(key in examples) && example) {
      const one = example();
      if (one) examples[key] = one;
    }
  }
}

/** An example as stored: the endpoint's name and the URL reduced to a redacted path and query. */
export function exampleOf(endpoint: string, url: string): ErrorExample {
  return { endpoint, url: redactedPathAndQuery(url) };
}

/**
 * The shards' reasons and examples as one run's (merge.ts): counts added in shard order by the
 * engine's own rule (same bound, overflow under OTHER_REASONS), the first shard's example of a row
 * wins. A reason that overflows into OTHER_REASONS lends its example to that row if it has none.
 */
export function mergeErrorReasons(
  parts: readonly { reasons?: ErrorReasonCounts; examples?: ErrorExamples }[],
): ErrorReasons {
  const merged = new ErrorReasons();
  for (const { reasons, examples } of parts) {
    for (const [errorClass, byReason] of Object.entries(reasons ?? {})) {
      for (const [key, count] of Object.entries(byReason)) {
        merged.add(errorClass, key, count, () => examples?.[errorClass]?.[key]);
      }
    }
  }
  return merged;
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
