/**
 * A VirtualUser without Moodle: plain `fetch`, no cookies, no login. For benchmarks (the generator's
 * own cost against a static page) and engine tests; never used by `run` against a Moodle site.
 */
import type { LoginOutcome, PageResult, VirtualUser } from "../engine/types.ts";

export class PlainFetchUser implements VirtualUser {
  loggedIn = true;
  logins = 0;

  /** `timeouts: false` skips the per-request AbortSignal timer (benchmarks against a local page). */
  constructor(
    readonly username: string,
    private readonly client?: Deno.HttpClient,
    private readonly timeouts = true,
  ) {}

  login(): Promise<LoginOutcome> {
    this.logins++;
    return Promise.resolve({ ok: true, username: this.username, attempts: 1, durationMs: 0 });
  }

  async get(url: string, options?: { timeoutMs?: number }): Promise<PageResult> {
    try {
      // The lean path (no client, no timeout) passes no init object at all.
      const response = this.timeouts && options?.timeoutMs
        ? await fetch(url, { client: this.client, signal: AbortSignal.timeout(options.timeoutMs) })
        : this.client
        ? await fetch(url, { client: this.client })
        : await fetch(url);
      const body = await response.arrayBuffer();
      return {
        status: response.status,
        finalUrl: response.url,
        bytes: body.byteLength,
        sessionLost: false,
        receivedMs: performance.now(),
      };
    } catch (error) {
      const name = (error as Error).name;
      return {
        status: 0,
        finalUrl: url,
        bytes: 0,
        sessionLost: false,
        errorClass: name === "TimeoutError" ? "timeout" : "connect",
        errorMessage: (error as Error).message,
      };
    }
  }
}
