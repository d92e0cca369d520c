/**
 * A command's stop state, shared with the work it runs: which stop signal came first (if any) and
 * an AbortSignal that fires then. `bench` and `bisect` own one and hand it to the load, so a signal
 * is handled once, by the outermost command.
 */
import { onStopSignals, STOP_SIGNAL_EXIT_CODE, type StopSignal } from "./stop_signals.ts";

export class StopRequest {
  readonly #controller = new AbortController();
  #by: StopSignal | undefined;
  readonly #listeners: ((signal: StopSignal) => void)[] = [];
  readonly #exitHooks: (() => void)[] = [];

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  /** The signal that stopped the work; undefined while it runs on. */
  get stoppedBy(): StopSignal | undefined {
    return this.#by;
  }

  /** Exit code for the stop (130 / 143 / 129); undefined when not stopped. */
  get exitCode(): number | undefined {
    return this.#by && STOP_SIGNAL_EXIT_CODE[this.#by];
  }

  /** Run `listener` on the stop (at once when it already happened). */
  onStop(listener: (signal: StopSignal) => void): void {
    if (this.#by) listener(this.#by);
    else this.#listeners.push(listener);
  }

  stop(signal: StopSignal): void {
    if (this.#by) return;
    this.#by = signal;
    this.#controller.abort();
    for (const listener of this.#listeners.splice(0)) listener(signal);
  }

  /**
   * What a second signal says, in one line, before the process exits at once: the work that knows
   * what was and was not written sets it (and puts back the previous one when it ends).
   */
  hardStopLine: () => string | undefined = () => undefined;

  /** Run `hook` (synchronously) right before a hard exit: e.g. remove a temporary file with passwords. */
  atHardExit(hook: () => void): void {
    this.#exitHooks.push(hook);
  }

  /** Listen for stop signals until the returned disposer runs: first → stop(), second → hard exit. */
  listen(): () => void {
    return onStopSignals({
      first: (signal) => this.stop(signal),
      second: () => {
        const line = this.hardStopLine();
        if (line) console.error(`moodle-load: ${line}`);
        for (const hook of this.#exitHooks) {
          try {
            hook();
          } catch { /* exiting anyway */ }
        }
        Deno.exit(this.exitCode ?? 1);
      },
    });
  }
}

/** "Ctrl-C" for SIGINT, the signal's name otherwise: how the messages name what stopped the work. */
export function stopName(signal: StopSignal): string {
  return signal === "SIGINT" ? "Ctrl-C (SIGINT)" : signal;
}
