/** Waiting: plain, or cut short by an AbortSignal (capture loops stop at once on a stop signal or --duration). */

/** Resolves after `ms` (at once when `ms` ≤ 0). */
export function sleep(ms: number): Promise<void> {
  return new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, ms)));
}

/** Resolves after `ms`, or as soon as `signal` aborts; at once when it already has or `ms` ≤ 0. */
export function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    if (signal.aborted || ms <= 0) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}
