/**
 * Is the machine quiet enough for a benchmark step's figures? Two readings, because the 1-minute load
 * average alone cannot tell: it counts the benchmark's own generator and target, so after any step of
 * 15 s or more it is above 0.5 on a 2-core machine with nothing else running.
 *
 * - Before a step, `settle` waits (bounded) until the 1-minute load average is below `QUIET_LOAD`:
 *   what the previous step left has decayed, and nothing else keeps the run queue busy.
 * - During the step, `CpuMeter` counts the CPU the whole machine used (/proc/stat) minus what this
 *   process and its children used (/proc/PID/stat, reaped children included): the CPU of *other*
 *   programs, in cores. On an idle machine of this kind that is ~0.01 core.
 *
 * A step is BUSY when the load average was still ≥ `QUIET_LOAD` when it began (the wait timed out) or
 * other programs used more than `BUSY_OTHERS_CORES` during it. Linux only; elsewhere both readings
 * are "unknown" and never mark a step busy.
 */

import { sleep } from "../src/util/sleep.ts";

/** The issue's "quiet machine": 1-minute load average below 0.5. */
export const QUIET_LOAD = 0.5;
/** Other programs' CPU during a step above this (in cores) makes the step's figures BUSY. */
export const BUSY_OTHERS_CORES = 0.1;
/** Clock ticks per second of /proc's CPU times (USER_HZ: 100 on every Linux build that matters). */
const TICKS_PER_SEC = 100;

/** The 1-minute load average, or NaN off Linux. */
export function loadAverage1(): number {
  try {
    return Number(Deno.readTextFileSync("/proc/loadavg").split(" ")[0]);
  } catch {
    return NaN;
  }
}

/**
 * Wait until the 1-minute load average is below `QUIET_LOAD`, at most `maxSec`; prints one line when it
 * had to wait. Returns the load average at the end of the wait.
 */
export async function settle(
  what: string,
  maxSec = Number(Deno.env.get("BENCH_SETTLE_SEC") ?? 240),
): Promise<number> {
  const startedMs = performance.now();
  let load = loadAverage1();
  if (!(load >= QUIET_LOAD)) return load;
  while (load >= QUIET_LOAD && performance.now() - startedMs < maxSec * 1000) {
    await sleep(2000);
    load = loadAverage1();
  }
  const waitedSec = (performance.now() - startedMs) / 1000;
  console.log(
    `  (${what}: waited ${waitedSec.toFixed(0)} s for the load average to settle: ${load.toFixed(2)}` +
      `${load >= QUIET_LOAD ? `, still ≥ ${QUIET_LOAD} after ${maxSec} s` : ""})`,
  );
  return load;
}

/**
 * CPU ticks the whole machine spent running processes (user, nice, system). Interrupt and softirq
 * time is left out: it belongs to no process, and on loopback most of it is the benchmark's own
 * packets (0.05–0.09 core at 5–20k req/s, which would read as a neighbour's). A neighbour's own work
 * shows in its user and system time.
 */
function machineBusyTicks(): number {
  const fields = Deno.readTextFileSync("/proc/stat").split("\n")[0].trim().split(/\s+/).slice(1).map(Number);
  const [user, nice, system] = fields;
  return user + nice + system;
}

/** utime + stime (+ reaped children's cutime + cstime) of one process, in ticks; 0 when it is gone. */
function processTicks(pid: number | "self", withReapedChildren: boolean): number {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    // Fields after the command name, which may hold spaces: 14–17 are utime stime cutime cstime.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ").map(Number);
    const [utime, stime, cutime, cstime] = fields.slice(11, 15);
    return utime + stime + (withReapedChildren ? cutime + cstime : 0);
  } catch {
    return 0;
  }
}

/** Other programs' CPU over an interval, in cores (see the module's comment). */
export class CpuMeter {
  readonly #startMs = performance.now();
  readonly #machine0: number;
  readonly #ours0: number;

  /** `livePids`: children of ours alive for the whole interval (a target server). */
  constructor(private readonly livePids: number[] = []) {
    this.#machine0 = safe(machineBusyTicks);
    this.#ours0 = this.#ours();
  }

  #ours(): number {
    return processTicks("self", true) + this.livePids.reduce((sum, pid) => sum + processTicks(pid, true), 0);
  }

  /** Cores used by other programs since the meter started, or NaN off Linux. */
  othersCores(): number {
    const seconds = (performance.now() - this.#startMs) / 1000;
    const machine = safe(machineBusyTicks) - this.#machine0;
    const ours = this.#ours() - this.#ours0;
    return Math.max(0, machine - ours) / TICKS_PER_SEC / seconds;
  }
}

function safe(read: () => number): number {
  try {
    return read();
  } catch {
    return NaN;
  }
}

/** A step's verdict on the machine: the note printed beside its figures, and whether it was busy. */
export interface Quietness {
  busy: boolean;
  note: string;
}

/**
 * Judge a finished step. `othersAreTheTarget`: the step's target is not ours to count (a real Moodle
 * site's PHP and PostgreSQL), so only the load average before it judges.
 */
export function judge(
  loadBefore: number,
  loadAfter: number,
  othersCores: number,
  othersAreTheTarget = false,
): Quietness {
  const loud = loadBefore >= QUIET_LOAD || (!othersAreTheTarget && othersCores > BUSY_OTHERS_CORES);
  const others = Number.isFinite(othersCores)
    ? `; others' CPU ${othersCores.toFixed(2)} cores${othersAreTheTarget ? " (the site's)" : ""}`
    : "";
  return {
    busy: loud,
    note: `load average ${loadBefore.toFixed(2)} → ${loadAfter.toFixed(2)}${others}${
      loud ? " (BUSY machine)" : ""
    }`,
  };
}

/**
 * `work` on a settled machine, judged; repeated once when busy (figures from a busy machine say so,
 * never silently mixed).
 */
export async function quietStep<T>(
  name: string,
  work: () => Promise<T>,
  options: { livePids?: number[]; othersAreTheTarget?: boolean } = {},
): Promise<{ result: T; note: string }> {
  for (let attempt = 1;; attempt++) {
    const before = await settle(name);
    const meter = new CpuMeter(options.livePids);
    const result = await work();
    const quiet = judge(before, loadAverage1(), meter.othersCores(), options.othersAreTheTarget);
    if (!quiet.busy || attempt === 2) return { result, note: quiet.note };
    console.log(`  ${name}: ${quiet.note}; repeating once`);
  }
}
