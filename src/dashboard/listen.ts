/** `--dashboard [HOST:]PORT`: where the live dashboard listens (127.0.0.1 unless a host is given). */

export interface ListenAddress {
  hostname: string;
  port: number;
}

export const DEFAULT_DASHBOARD_HOST = "127.0.0.1";

/** "9100", ":9100", "0.0.0.0:9100", "[::1]:9100" → address; undefined when it is not one. */
export function parseListen(text: string): ListenAddress | undefined {
  const match = /^(?:(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]*):)?(\d{1,5})$/.exec(text.trim());
  if (!match) return undefined;
  const port = Number(match[2]);
  if (port > 65535) return undefined;
  const host = match[1] ? match[1].replace(/^\[|\]$/g, "") : DEFAULT_DASHBOARD_HOST;
  return { hostname: host, port };
}

/** The URL to print for an address (IPv6 in brackets; a wildcard host shown as itself). */
export function listenUrl(address: ListenAddress): string {
  const host = address.hostname.includes(":") ? `[${address.hostname}]` : address.hostname;
  return `http://${host}:${address.port}/`;
}
