/**
 * The engine's virtual users: which are idle (free to take a request), and the re-login queue of
 * those whose session was lost. Moodle serialises the requests of one session, so a user is either
 * idle, busy with one request, re-logging in, or retired (session lost and the re-login failed).
 *
 * Hot path: `take` and `release` are O(1) on two typed arrays, no allocation.
 */
import type { VirtualUser } from "./types.ts";

/** Re-logins running at once unless the engine says otherwise. */
export const DEFAULT_RELOGIN_CONCURRENCY = 4;

export class UserPool {
  // Idle users: a stack with positions (-1 = not idle) for O(1) removal of a chosen user.
  private readonly idle: Int32Array;
  private readonly idlePos: Int32Array;
  private idleCount = 0;

  private readonly reloginQueue: number[] = [];
  private reloginsActive = 0;
  private readonly reloginLimit: number;
  /** No re-login starts once scheduling stopped; no outcome counts once the run finished. */
  private stopped = false;
  private closed = false;

  relogins = 0;
  reloginFailures = 0;
  /** Usernames lost for good. */
  readonly retired: string[] = [];

  /** `onRelogin` runs after each successful re-login (a user is idle again: the engine may send). */
  constructor(
    readonly users: readonly VirtualUser[],
    reloginConcurrency: number | undefined,
    private readonly onRelogin: () => void,
  ) {
    const n = users.length;
    this.idle = new Int32Array(n);
    this.idlePos = new Int32Array(n);
    this.reloginLimit = Math.max(1, reloginConcurrency ?? DEFAULT_RELOGIN_CONCURRENCY);
    for (let u = 0; u < n; u++) this.release(u);
  }

  /** An idle user, `preferred` when it is idle; -1 when none is. */
  take(preferred: number): number {
    if (this.idleCount === 0) return -1;
    if (this.idlePos[preferred] >= 0) {
      this.removeIdleAt(this.idlePos[preferred]);
      return preferred;
    }
    const user = this.idle[this.idleCount - 1];
    this.removeIdleAt(this.idleCount - 1);
    return user;
  }

  /** The user is idle again. */
  release(user: number): void {
    this.idle[this.idleCount] = user;
    this.idlePos[user] = this.idleCount++;
  }

  private removeIdleAt(position: number): void {
    const user = this.idle[position];
    const last = this.idle[--this.idleCount];
    this.idle[position] = last;
    this.idlePos[last] = position;
    this.idlePos[user] = -1;
  }

  /** Queue a re-login; at most `reloginConcurrency` run at once (a mass expiry is no login storm). */
  relogin(user: number): void {
    this.reloginQueue.push(user);
    this.startRelogins();
  }

  /** Scheduling stopped: queued re-logins never start. */
  stop(): void {
    this.stopped = true;
  }

  /** The run finished: outcomes of re-logins still running are ignored. */
  close(): void {
    this.stopped = true;
    this.closed = true;
  }

  private startRelogins(): void {
    while (this.reloginsActive < this.reloginLimit && this.reloginQueue.length > 0 && !this.stopped) {
      const user = this.reloginQueue.shift()!;
      const vu = this.users[user];
      this.reloginsActive++;
      vu.login().then(
        (outcome) => outcome.ok,
        () => false,
      ).then((ok) => {
        this.reloginsActive--;
        if (this.closed) return;
        if (ok) {
          this.relogins++;
          this.release(user);
        } else {
          this.reloginFailures++;
          this.retired.push(vu.username);
        }
        this.startRelogins();
        if (ok && !this.stopped) this.onRelogin();
      });
    }
  }
}
