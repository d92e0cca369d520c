/**
 * The one rule for showing a URL: the password of its userinfo becomes `***`
 * (`http://user:pass@host` → `http://user:***@host`). Apply it wherever a URL leaves the process:
 * screen, summary files, request log, report, manifest.
 */

export const REDACTED = "***";

/**
 * `scheme://user:` then the password up to the authority's last `@` (a raw `@` in a password
 * stays hidden). The authority ends at `/`, `?`, `#` or white space, so `?x=a@b` is left alone.
 */
const URL_PASSWORD = /\b([a-z][a-z0-9+.-]*:\/\/[^/\s:@?#]*):[^/\s?#]*@/gi;

/** `text` (a URL, or a line that contains URLs) with every URL password replaced by `***`. */
export function redactUrl(text: string): string {
  // The request log calls this once per request: skip the regex when there is no userinfo at all.
  return text.includes("@") ? text.replace(URL_PASSWORD, `$1:${REDACTED}@`) : text;
}

/**
 * Query parameters whose value is a credential: passwords, tokens (wstoken, logintoken, authtoken),
 * Moodle's sesskey (a CSRF token: with the session cookie it acts as the user) and keys.
 */
const SECRET_QUERY_NAME = /pass(word)?|secret|token|sesskey|^key$/i;

/**
 * A URL as an example to show (the report's failure examples): its path and query only — scheme,
 * host and userinfo dropped, and the value of every secret query parameter `***`. Text that is no
 * URL (a relative path) is read against a dummy origin; what cannot be read at all becomes "".
 */
export function redactedPathAndQuery(url: string): string {
  if (!URL.canParse(url, "http://x")) return "";
  const parsed = new URL(url, "http://x");
  const query = parsed.search.slice(1).split("&").filter((part) => part !== "").map((part) => {
    const cut = part.indexOf("=");
    const name = cut < 0 ? part : part.slice(0, cut);
    // Names are compared decoded (`%73esskey` is `sesskey`); the query is kept as written otherwise.
    return cut >= 0 && SECRET_QUERY_NAME.test(decodedName(name)) ? `${name}=${REDACTED}` : part;
  });
  return parsed.pathname + (query.length ? `?${query.join("&")}` : "");
}

function decodedName(name: string): string {
  try {
    return decodeURIComponent(name.replaceAll("+", " "));
  } catch {
    return name; // a malformed escape: compared as written
  }
}
