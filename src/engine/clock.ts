/** The engine's time source: real timers in a run, a fake clock in tests. */
export interface Clock {
  /** Monotonic milliseconds. */
  now(): number;
  /** Wall-clock epoch milliseconds (for files). */
  epochMs(): number;
  setTimer(callback: () => void, delayMs: number): unknown;
  clearTimer(id: unknown): void;
}

export const realClock: Clock = {
  now: () => performance.now(),
  epochMs: () => Date.now(),
  setTimer: (callback, delayMs) => setTimeout(callback, delayMs),
  clearTimer: (id) => clearTimeout(id as ReturnType<typeof setTimeout>),
};
