/**
 * Where `run` gets its virtual users from and how it logs them in: the seam between the engine and
 * the Moodle protocol side (MoodleUser, transports, login phase).
 */
import type { Config } from "../config/schema.ts";
import { UserError } from "../output/errors.ts";
import type { LoginOutcome, VirtualUser } from "./types.ts";

export interface UserOptions {
  insecure: boolean;
  caCertPem?: string;
  loginTimeoutMs: number;
  maxRetries: number;
}

export interface UserPool {
  users: VirtualUser[];
  close(): void;
}

export interface LoginPhaseOptions {
  concurrency: number;
  signal?: AbortSignal;
}

export interface UserBackend {
  createUsers(config: Config, options: UserOptions): Promise<UserPool>;
  /** Log every user in (bounded concurrency); one outcome per user, in the users' order. */
  loginAll(users: VirtualUser[], options: LoginPhaseOptions): Promise<LoginOutcome[]>;
}

/** Run `login()` on every user, at most `concurrency` at a time; stops starting new ones on abort. */
export async function loginWithConcurrency(
  users: VirtualUser[],
  options: LoginPhaseOptions,
): Promise<LoginOutcome[]> {
  const outcomes: LoginOutcome[] = new Array(users.length);
  let next = 0;
  const worker = async () => {
    while (next < users.length && !options.signal?.aborted) {
      const index = next++;
      const started = performance.now();
      try {
        outcomes[index] = await users[index].login();
      } catch (error) {
        outcomes[index] = {
          ok: false,
          username: users[index].username,
          reason: "network",
          detail: (error as Error).message,
          attempts: 1,
          durationMs: performance.now() - started,
        };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(options.concurrency, users.length)) }, worker));
  return outcomes.filter((o) => o !== undefined);
}

/** The Moodle backend (replaced by the protocol side's MoodleUser once merged). */
export const moodleBackend: UserBackend = {
  createUsers() {
    return Promise.reject(new UserError("Moodle virtual users are not available in this build"));
  },
  loginAll: loginWithConcurrency,
};
