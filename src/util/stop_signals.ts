/**
 * The stop signals a command must survive long enough to clean up: Ctrl-C (SIGINT), `kill`/systemd/
 * docker stop (SIGTERM) and a closed terminal or SSH session (SIGHUP). Without a listener Deno dies at
 * once on SIGTERM and SIGHUP, orphaning child processes and leaving partial files behind.
 */

export type StopSignal = "SIGINT" | "SIGTERM" | "SIGHUP";

/** 128 + the signal number, as a shell reports a process killed by that signal. */
export const STOP_SIGNAL_EXIT_CODE: Readonly<Record<StopSignal, number>> = Object.freeze({
  SIGINT: 130,
  SIGTERM: 143,
  SIGHUP: 129,
});

const SIGNALS: readonly StopSignal[] = ["SIGINT", "SIGTERM", "SIGHUP"];

/**
 * First stop signal → first(signal); a second one → second(signal) (default: exit at once with the
 * first signal's code). Returns a disposer that removes the listeners.
 */
export function onStopSignals(
  handlers: { first: (signal: StopSignal) => void; second?: (signal: StopSignal) => void },
): () => void {
  let first: StopSignal | undefined;
  // Windows delivers only SIGINT (and SIGBREAK) to Deno; adding the others there throws.
  const signals = Deno.build.os === "windows" ? SIGNALS.filter((s) => s === "SIGINT") : SIGNALS;
  const listeners = signals.map((signal) => {
    const listener = () => {
      if (first === undefined) {
        first = signal;
        handlers.first(signal);
      } else if (handlers.second) {
        handlers.second(signal);
      } else {
        console.error(`moodle-load: ${signal} again while stopping after ${first} — exiting now`);
        Deno.exit(STOP_SIGNAL_EXIT_CODE[first]);
      }
    };
    Deno.addSignalListener(signal, listener);
    return [signal, listener] as const;
  });
  return () => {
    for (const [signal, listener] of listeners) Deno.removeSignalListener(signal, listener);
  };
}
