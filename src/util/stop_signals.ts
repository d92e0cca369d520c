/**
 * The one stop-signal policy of every long command: Ctrl-C (SIGINT), a CI timeout (SIGTERM) and a
 * closed terminal (SIGHUP) all take the same path — stop, finish what can be finished, write every
 * file — and exit 128 + the signal number. A second signal leaves at once.
 */
import { EXIT } from "../errors.ts";

export type StopSignal = "SIGINT" | "SIGTERM" | "SIGHUP";

export const STOP_SIGNAL_EXIT_CODE: Readonly<Record<StopSignal, number>> = {
  SIGINT: EXIT.interrupted,
  SIGTERM: EXIT.terminated,
  SIGHUP: EXIT.hangup,
};

const STOP_SIGNALS = Object.keys(STOP_SIGNAL_EXIT_CODE) as StopSignal[];

/** First stop signal → first(signal); a second one → second(signal) (default: exit at once with the first signal's code). Returns a disposer that removes the listeners. */
export function onStopSignals(
  handlers: { first: (signal: StopSignal) => void; second?: (signal: StopSignal) => void },
): () => void {
  let firstSignal: StopSignal | undefined;
  const added: [StopSignal, () => void][] = [];
  for (const signal of STOP_SIGNALS) {
    const listener = () => {
      if (firstSignal === undefined) {
        firstSignal = signal;
        handlers.first(signal);
      } else if (handlers.second) handlers.second(signal);
      else {
        console.error(`moodle-load: ${signal} again while stopping after ${firstSignal} — exiting now`);
        Deno.exit(STOP_SIGNAL_EXIT_CODE[firstSignal]);
      }
    };
    try {
      Deno.addSignalListener(signal, listener);
      added.push([signal, listener]);
    } catch { /* Windows knows only SIGINT (and SIGBREAK): the others cannot arrive there */ }
  }
  return () => {
    for (const [signal, listener] of added) Deno.removeSignalListener(signal, listener);
  };
}
