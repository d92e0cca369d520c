/** The session cookie on the server side: read it from `Cookie`, write it as Moodle does. */

/** The value of cookie `name` in a `Cookie` request header. */
export function readCookie(header: string | null, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

export interface SessionCookieOptions {
  name: string;
  /** The site path + "/" (e.g. "/moodle/"). */
  path: string;
  secure: boolean;
}

/** `Set-Cookie` for the session: path = site path + "/", HttpOnly, SameSite=Lax, Secure on https. */
export function sessionCookie(value: string, options: SessionCookieOptions): string {
  return `${options.name}=${value}; path=${options.path}; HttpOnly; SameSite=Lax${
    options.secure ? "; Secure" : ""
  }`;
}

/** Remove the cookie (logout): an expired, empty cookie on the same path. */
export function deletedSessionCookie(options: SessionCookieOptions): string {
  return `${options.name}=deleted; expires=Thu, 01 Jan 1970 00:00:01 GMT; Max-Age=0; path=${options.path}; HttpOnly; SameSite=Lax${
    options.secure ? "; Secure" : ""
  }`;
}
