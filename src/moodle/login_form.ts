/**
 * What a login reads from Moodle's login page, with a targeted scanner instead of a DOM: the
 * `form#login` (its action, the hidden `logintoken` and `anchor`), and the login error text
 * (`#loginerrormessage`). See docs/moodle-protocol.md. A DOM of every login page (cheerio) was the
 * largest transient cost of a login phase: 10,000 users meant 10,000 parsed pages of garbage.
 */

export interface LoginForm {
  /** The form's `action` as written (entities decoded); undefined when it has none. */
  action?: string;
  logintoken: string;
  anchor: string;
}

const FORM_TAG = /<form\b[^>]*>/gi;
const FORM_END = /<\/form\s*>/i;
const INPUT_TAG = /<input\b[^>]*>/gi;
const ATTRIBUTE = /([^\s"'<>/=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?/g;

/** A tag's attributes by lower-case name (the first of a repeated name wins, as in HTML). */
export function tagAttributes(tag: string): Map<string, string> {
  const inner = tag.replace(/^<[a-z0-9]+/i, "").replace(/\/?>$/, "");
  const attributes = new Map<string, string>();
  for (const match of inner.matchAll(ATTRIBUTE)) {
    const name = match[1].toLowerCase();
    if (!attributes.has(name)) attributes.set(name, decodeEntities(match[2] ?? match[3] ?? match[4] ?? ""));
  }
  return attributes;
}

/** The login form (`<form id="login">`) of a page, or undefined when it has none. */
export function parseLoginForm(html: string): LoginForm | undefined {
  for (const match of html.matchAll(FORM_TAG)) {
    const attributes = tagAttributes(match[0]);
    if (attributes.get("id") !== "login") continue;
    const start = match.index + match[0].length;
    const end = FORM_END.exec(html.slice(start));
    const body = html.slice(start, end ? start + end.index : html.length);
    const inputs = new Map<string, string>();
    for (const input of body.matchAll(INPUT_TAG)) {
      const fields = tagAttributes(input[0]);
      const name = fields.get("name");
      if (name !== undefined && !inputs.has(name)) inputs.set(name, fields.get("value") ?? "");
    }
    return {
      action: attributes.get("action") || undefined,
      logintoken: inputs.get("logintoken") ?? "",
      anchor: inputs.get("anchor") ?? "",
    };
  }
  return undefined;
}

const ERROR_ELEMENT = /<([a-z0-9]+)\b[^>]*\bid\s*=\s*["']loginerrormessage["'][^>]*>([\s\S]*?)<\/\1\s*>/i;

/** The text of Moodle's `#loginerrormessage` (tags stripped, entities decoded), or undefined. */
export function loginErrorText(html: string): string | undefined {
  const match = ERROR_ELEMENT.exec(html);
  if (!match) return undefined;
  return decodeEntities(match[2].replace(/<[^>]*>/g, "")).trim();
}

const ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'", nbsp: "\u00a0" };

/** HTML character references: named (the few Moodle writes in attributes and messages) and numeric. */
export function decodeEntities(text: string): string {
  if (!text.includes("&")) return text;
  return text.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, ref: string) => {
    if (ref[0] === "#") {
      const code = ref[1] === "x" || ref[1] === "X" ? parseInt(ref.slice(2), 16) : Number(ref.slice(1));
      return Number.isFinite(code) && code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
    }
    return ENTITIES[ref.toLowerCase()] ?? whole;
  });
}
