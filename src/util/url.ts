/** URL building shared by the config (endpoints, login page) and the virtual users. */

/** base_url (which may carry a sub-path, with or without a trailing slash) + a path, with one "/" between. */
export function joinUrl(baseUrl: string, path: string): string {
  return baseUrl.replace(/\/+$/, "") + (path.startsWith("/") ? path : `/${path}`);
}
