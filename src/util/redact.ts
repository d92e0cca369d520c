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
