/**
 * Server-side sessions as Moodle keeps them: an id in the `MoodleSession…` cookie, the logged-in
 * user, the single-use login token, the sesskey, the wanted URL, and one lock per session that
 * serialises requests sharing the session (see docs/moodle-protocol.md, "Session locking").
 */
import { randomString, sessionId } from "./random.ts";

export interface DemoSession {
  readonly id: string;
  userId: number;
  /** `$SESSION->logintoken`: created on demand, replaced by every validation. */
  loginToken?: string;
  sesskey: string;
  /** `$SESSION->wantsurl`: where to go after logging in. */
  wantsUrl?: string;
  /** `$SESSION->loginerrormsg`: shown once by the next login page. */
  loginErrorMessage?: string;
  /** The browser presented a session that had expired: the login page says so once. */
  hasTimedOut?: boolean;
  lastAccessMs: number;
}

export class SessionStore {
  readonly #sessions = new Map<string, DemoSession>();
  readonly #locks = new Map<string, Promise<void>>();
  #created = 0;
  #sweepAt = 1024;

  constructor(readonly ttlMs: number, readonly now: () => number = Date.now) {}

  /** Sessions started since the server came up. */
  get created(): number {
    return this.#created;
  }

  /** Sessions currently alive (not yet expired or destroyed). */
  get active(): number {
    return this.#sessions.size;
  }

  create(): DemoSession {
    const session: DemoSession = {
      id: sessionId(),
      userId: 0,
      sesskey: randomString(10),
      lastAccessMs: this.now(),
    };
    this.#sessions.set(session.id, session);
    this.#created++;
    if (this.#sessions.size >= this.#sweepAt) this.#sweep();
    return session;
  }

  /** The live session with this id; an expired one is destroyed and reported as `expired`. */
  lookup(id: string | undefined): { session?: DemoSession; expired: boolean } {
    if (!id) return { expired: false };
    const session = this.#sessions.get(id);
    if (!session) return { expired: false };
    if (this.now() - session.lastAccessMs > this.ttlMs) {
      this.#sessions.delete(id);
      return { expired: true };
    }
    return { session, expired: false };
  }

  touch(session: DemoSession): void {
    session.lastAccessMs = this.now();
  }

  /** session_regenerate_id(true): same data under a new id; the old id stops working. */
  regenerate(session: DemoSession): DemoSession {
    this.#sessions.delete(session.id);
    const fresh: DemoSession = {
      ...session,
      id: sessionId(),
      sesskey: randomString(10),
      lastAccessMs: this.now(),
    };
    this.#sessions.set(fresh.id, fresh);
    this.#created++;
    return fresh;
  }

  destroy(session: DemoSession): void {
    this.#sessions.delete(session.id);
  }

  /** Make every current session look idle for longer than the timeout. */
  expireAll(): number {
    const count = this.#sessions.size;
    const past = this.now() - this.ttlMs - 1;
    for (const session of this.#sessions.values()) session.lastAccessMs = past;
    return count;
  }

  /**
   * Wait for the session's lock; resolves with the time waited and a release function. Requests
   * presenting the same session id run one after another, in arrival order.
   */
  async lock(id: string): Promise<{ waitedMs: number; release: () => void }> {
    const previous = this.#locks.get(id) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((resolve) => (release = resolve));
    const tail = previous.then(() => mine);
    this.#locks.set(id, tail);
    const started = performance.now();
    await previous;
    const waitedMs = performance.now() - started;
    return {
      waitedMs,
      release: () => {
        release();
        if (this.#locks.get(id) === tail) this.#locks.delete(id);
      },
    };
  }

  #sweep(): void {
    const now = this.now();
    for (const [id, session] of this.#sessions) {
      if (now - session.lastAccessMs > this.ttlMs) this.#sessions.delete(id);
    }
    this.#sweepAt = Math.max(1024, this.#sessions.size * 2);
  }
}
