/** The transport for the flags given (see types.ts for the three kinds). */
import { createCaCertTransport, createFetchTransport } from "./fetch.ts";
import type { Transport, TransportOptions } from "./types.ts";

/** Pick the transport for the flags given; `insecure` wins over `caCertPem`. */
export async function createTransport(options: TransportOptions = {}): Promise<Transport> {
  if (options.insecure) {
    const { createInsecureTransport } = await import("./insecure.ts");
    return createInsecureTransport();
  }
  if (options.caCertPem !== undefined) return createCaCertTransport(options.caCertPem);
  return createFetchTransport();
}
