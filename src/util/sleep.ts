/** Waiting that an AbortSignal cuts short (capture loops stop at once on Ctrl-C or --duration). */

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
