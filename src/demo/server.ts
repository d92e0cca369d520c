/**
 * The Moodle-faithful demo server on a socket: `startDemoServer(options)` binds 127.0.0.1 on a free
 * port (HTTP, or HTTPS with `tls`) and returns a handle with the site URL, counters and controls.
 */
import type { DemoCounters } from "./counters.ts";
import { type DemoOptions, type DemoUserSpec, resolveDemoOptions } from "./options.ts";
import { DemoSite } from "./site.ts";
import { compressFor } from "./compress.ts";
import type { DemoAccount } from "./users.ts";

export interface DemoServer {
  /** The site URL (`$CFG->wwwroot`), e.g. "http://127.0.0.1:41234/moodle" — no trailing slash. */
  readonly url: string;
  /** Scheme, host and port, e.g. "http://127.0.0.1:41234". */
  readonly origin: string;
  /** The login page path below the site: "/login/index.php". */
  readonly loginPath: string;
  readonly port: number;
  /** Name of the session cookie (`MoodleSession` + suffix). */
  readonly cookieName: string;
  readonly counters: DemoCounters;
  /** Sessions started since the server came up, and sessions alive now. */
  readonly sessions: { readonly created: number; readonly active: number };
  /** Every current session expires now (as if idle past the timeout); returns how many. */
  expireAllSessions(): number;
  /** The next `count` requests answer `status` (default: the configured error status, 503). */
  injectFailures(count: number, status?: number): void;
  /** A user's live account record (flags may be changed; they apply from the next request). */
  account(username: string): DemoAccount | undefined;
  close(): Promise<void>;
}

export async function startDemoServer(options: DemoOptions = {}): Promise<DemoServer> {
  const resolved = resolveDemoOptions(options);
  const site = new DemoSite(resolved);
  const handler = resolved.compress
    ? async (request: Request) => compressFor(request, await site.handle(request))
    : (request: Request) => site.handle(request);
  const common = { hostname: resolved.hostname, port: resolved.port, onListen: () => {} };
  const server = resolved.tls
    ? Deno.serve({ ...common, cert: resolved.tls.cert, key: resolved.tls.key }, handler)
    : Deno.serve(common, handler);
  const addr = server.addr as Deno.NetAddr;
  const host = addr.hostname.includes(":") ? `[${addr.hostname}]` : addr.hostname;
  const origin = `${resolved.tls ? "https" : "http"}://${host}:${addr.port}`;
  site.setOrigin(origin);
  await Promise.resolve();
  let closed: Promise<void> | undefined;
  return {
    url: site.wwwroot,
    origin,
    loginPath: "/login/index.php",
    port: addr.port,
    cookieName: site.cookieName,
    counters: site.counters,
    sessions: site.sessions,
    expireAllSessions: () => site.sessions.expireAll(),
    injectFailures: (count, status) => site.injectFailures(count, status),
    account: (username) => site.users.byName(username),
    close: () => (closed ??= server.shutdown()),
  };
}

export type { DemoOptions, DemoUserSpec };
