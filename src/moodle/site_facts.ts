/**
 * What the site says about itself to anyone: one GET of the login page. A stock Moodle 4.3 sends no
 * generator tag and no version anywhere public (docs/moodle-protocol.md, "What the site tells about
 * itself"); PHP names itself in `X-Powered-By` only when `expose_php` is on. So this reads that
 * header and nothing else is guessed.
 */
import { createTransport } from "./transport/create.ts";
import type { TransportOptions } from "./transport/types.ts";

export interface SiteFacts {
  php_version: string | null;
}

/** "PHP/8.2.7" (or "PHP/8.2.7-1~deb12u1") → "8.2.7…"; null when the header names no PHP. */
export function phpVersionOf(poweredBy: string | null): string | null {
  const match = /\bPHP\/([0-9][^\s,;]*)/i.exec(poweredBy ?? "");
  return match ? match[1] : null;
}

/** One GET of `url` (5 s limit); every failure is "not known", never an error of the run. */
export async function readSiteFacts(
  url: string,
  tls: TransportOptions,
  timeoutMs = 5000,
): Promise<SiteFacts> {
  let transport;
  try {
    transport = await createTransport(tls);
    const response = await transport.request({ method: "GET", url, signal: AbortSignal.timeout(timeoutMs) });
    return { php_version: phpVersionOf(response.headers.get("x-powered-by")) };
  } catch {
    return { php_version: null };
  } finally {
    transport?.close();
  }
}
