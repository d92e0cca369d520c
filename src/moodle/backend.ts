/**
 * Where `run` gets its virtual users from and how it logs them in: the seam between the engine and
 * the Moodle protocol side (MoodleUser, transports, login phase).
 */
import type { Config } from "../config/schema.ts";
import { loginAll, type LoginPhaseOptions } from "./login_phase.ts";
import { createMoodleUser } from "./user.ts";
import { createTransport } from "./transport/create.ts";
import type { LoginOutcome, VirtualUser } from "../engine/types.ts";
import type { Transport } from "./transport/types.ts";
import { readSiteFacts, type SiteFacts } from "./site_facts.ts";

export interface UserOptions {
  insecure: boolean;
  caCertPem?: string;
  loginTimeoutMs: number;
  requestTimeoutMs: number;
  maxRetries: number;
  /** Aborts every request these users have in flight (a stop signal during the login phase). */
  signal?: AbortSignal;
  /** Longest response body accepted, bytes (default 64 MiB). */
  maxBodyBytes?: number;
  /** Ask for gzip/deflate/br (default true); false asks for identity (`--no-compression`). */
  compression?: boolean;
}

export interface UserPool {
  users: VirtualUser[];
  close(): void;
}

export interface UserBackend {
  createUsers(config: Config, options: UserOptions): Promise<UserPool>;
  /** Log every user in (bounded concurrency); one outcome per user, in the users' order. */
  loginAll(users: VirtualUser[], options: LoginPhaseOptions): Promise<LoginOutcome[]>;
  /** What the site says about itself (run metadata); absent where there is no site to ask. */
  siteFacts?(config: Config, options: Pick<UserOptions, "insecure" | "caCertPem">): Promise<SiteFacts>;
}

/** Real Moodle users: one cookie jar each, over the transport the TLS flags choose. */
export const moodleBackend: UserBackend = {
  async createUsers(config, options) {
    const transport = abortable(
      await createTransport({ insecure: options.insecure, caCertPem: options.caCertPem }),
      options.signal,
    );
    const users = config.users.map((user) =>
      createMoodleUser({
        baseUrl: config.base_url,
        loginPath: config.login_path,
        username: user.username,
        password: user.password,
        transport,
        loginTimeoutMs: options.loginTimeoutMs,
        requestTimeoutMs: options.requestTimeoutMs,
        maxRetries: options.maxRetries,
        maxBodyBytes: options.maxBodyBytes,
        compression: options.compression,
      })
    );
    return { users, close: () => transport.close() };
  },
  loginAll,
  siteFacts: (config, options) =>
    readSiteFacts(`${config.base_url.replace(/\/+$/, "")}${config.login_path}`, {
      insecure: options.insecure,
      caCertPem: options.caCertPem,
    }),
};

/** Every request through `transport` also aborts when `signal` does. */
function abortable(transport: Transport, signal: AbortSignal | undefined): Transport {
  if (!signal) return transport;
  return {
    kind: transport.kind,
    request: (request) =>
      transport.request({
        ...request,
        signal: request.signal ? AbortSignal.any([request.signal, signal]) : signal,
      }),
    close: () => transport.close(),
  };
}
