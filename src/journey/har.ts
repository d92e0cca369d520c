/**
 * `journey import-har`: a browser recording (HAR 1.2, as Chrome/Firefox save it) turned into a
 * journey. Pure: the HAR's parsed JSON in, the journey and what was dropped out.
 *
 * Kept: the site's documents (HTML navigations) and form posts, in order. Dropped: other hosts,
 * static assets and AJAX (by the browser's resource type, or by MIME type and Moodle's asset
 * scripts), the hops of a redirect the step follows itself, and the login (the run's login phase
 * logs the pool users in; the recorded credentials never reach the journey). A recorded sesskey
 * becomes `{sesskey}`, the recorded user's name `{user}`; a form post right after the page that
 * holds the form becomes a `form` step, so its hidden fields (sesskey, `_qf__…`, draft item ids)
 * come from the page at run time; an upload to Moodle's upload repository becomes an `upload`
 * step, an AJAX web-service call that writes (Moodle's inline forum reply) a `json` step. Think times are the recorded gaps between a page's load (its document and assets) and the
 * next page, capped.
 */
import * as cheerio from "cheerio";
import type { Journey, JourneyStep } from "../config/schema.ts";
import { JourneySchema } from "../config/schema.ts";
import { findForm } from "./form.ts";

interface HarEntry {
  startedDateTime: string;
  time: number;
  _resourceType?: string;
  request: {
    method: string;
    url: string;
    bodySize?: number;
    postData?: {
      mimeType?: string;
      text?: string;
      params?: { name: string; value?: string; fileName?: string }[];
    };
  };
  response: {
    status: number;
    redirectURL?: string;
    headers?: { name: string; value: string }[];
    content?: { mimeType?: string; text?: string; encoding?: string };
  };
}

export interface HarImportOptions {
  /** The journey's name. */
  name: string;
  /** The site root; default: the recording's first page, with the sub-path of its login page. */
  baseUrl?: string;
  /** Longest think time kept, ms (default 10 000). */
  maxThinkMs?: number;
}

export interface HarImport {
  baseUrl: string;
  journey: Journey;
  /** Entries dropped, by reason. */
  dropped: Record<string, number>;
  /** Form fields not carried over because they hold a secret (password…). */
  secretsDropped: string[];
}

const KEPT_TYPES = new Set(["document"]);
const STATIC_PATH =
  /\/(theme\/|lib\/(javascript|requirejs|ajax)|pluginfile\.php|draftfile\.php|webservice\/|favicon)|\.(css|js|mjs|png|jpe?g|gif|svg|ico|woff2?|ttf|map)$/i;
const HIDDEN_NAMES = /^(sesskey|logintoken|_qf__.*|.*itemid\]?|files_filemanager|lastmodified)$/i;
const SECRET_NAMES = /pass(word)?|secret|token/i;
const UPLOAD_PATH = /\/repository\/repository_ajax\.php$/;
const SERVICE_PATH = /\/lib\/ajax\/service\.php$/;
/** A web-service method that changes what a user made (a verb of writing after the component). */
const WRITE_METHOD = /_(add|create|update|delete|submit|save|send|post|process|start|finish|set)_/;
/**
 * Writes the page's scripts make on their own while the user reads or types: not the user's work.
 * `tool_usertours_fetch_and_start_tour` runs on a user's first visit of a page with a tour (seen on
 * the real 4.3 site), so a recording may or may not hold it.
 */
const BACKGROUND_METHOD =
  /^(core_user_(set|update)_user_preferences|tiny_autosave_|core_session_|tool_usertours_|core_message_mark_|message_popup_|core_fetch_notifications)/;
const REDIRECT = new Set([301, 302, 303, 307, 308]);

export function importHar(har: unknown, options: HarImportOptions): HarImport {
  const entries = harEntries(har);
  const baseUrl = (options.baseUrl ?? guessBaseUrl(entries)).replace(/\/+$/, "");
  const dropped: Record<string, number> = {};
  const drop = (reason: string) => (dropped[reason] = (dropped[reason] ?? 0) + 1);
  const kept = keptEntries(entries, baseUrl, drop);
  const username = recordedUsername(entries);
  const secretsDropped: string[] = [];
  const steps: JourneyStep[] = [];
  const names = new Map<string, number>();
  let page: HarEntry[] | undefined; // the last page (an upload's JSON answer leaves the form's page in place)
  kept.forEach((chain, k) => {
    const step = toStep(chain, page, { baseUrl, username, secretsDropped });
    const pageStep = page && steps[kept.indexOf(page)];
    if (pageStep && page) extractRecordedIds(step, pageStep, page[page.length - 1].response.content?.text);
    if (!isUpload(chain[0]) && !isServiceWrite(chain[0])) page = chain;
    step.name = uniqueName(stepName(chain[0], baseUrl), names);
    const next = kept[k + 1];
    if (next) {
      const last = chain[chain.length - 1];
      const nextMs = Date.parse(next[0].startedDateTime);
      const gapMs = nextMs - pageLoadEndMs(entries, last, nextMs);
      const thinkMs = Math.min(options.maxThinkMs ?? 10_000, Math.round(gapMs / 100) * 100);
      if (thinkMs >= 100) step.think_time_ms = thinkMs;
    }
    steps.push(step);
  });
  if (steps.length === 0) {
    throw new Error("the recording has no page of the site (after dropping assets and the login)");
  }
  const journey = JourneySchema.parse({ name: options.name, steps });
  return { baseUrl, journey, dropped, secretsDropped };
}

/** What a browser loads as part of a page (not what its scripts ask for later, as the user reads or types). */
const SUBRESOURCE_TYPES = new Set([
  "stylesheet",
  "script",
  "image",
  "font",
  "media",
  "texttrack",
  "manifest",
]);

/**
 * When the page of `last` had loaded: the end of `last` or of the latest sub-resource that started
 * after it and before the next page. The recorded gap minus that load is the user's think time
 * (the run never loads those assets, so counting their load as thinking would slow its users down).
 */
function pageLoadEndMs(entries: readonly HarEntry[], last: HarEntry, nextMs: number): number {
  const startMs = Date.parse(last.startedDateTime);
  let endMs = startMs + last.time;
  for (const entry of entries) {
    const at = Date.parse(entry.startedDateTime);
    if (at < startMs || at >= nextMs || !SUBRESOURCE_TYPES.has(entry._resourceType?.toLowerCase() ?? "")) {
      continue;
    }
    endMs = Math.max(endMs, Math.min(nextMs, at + Math.max(0, entry.time)));
  }
  return endMs;
}

function harEntries(har: unknown): HarEntry[] {
  const entries = (har as { log?: { entries?: unknown } })?.log?.entries;
  if (!Array.isArray(entries)) throw new Error("not a HAR file: no log.entries");
  return (entries as HarEntry[]).filter((e) => e?.request?.url && e.response)
    .sort((a, b) => Date.parse(a.startedDateTime) - Date.parse(b.startedDateTime));
}

/** The origin of the first page, with the sub-path in front of `/login/index.php` when recorded. */
function guessBaseUrl(entries: readonly HarEntry[]): string {
  const login = entries.map((e) => new URL(e.request.url)).find((u) =>
    u.pathname.endsWith("/login/index.php")
  );
  if (login) return login.origin + login.pathname.slice(0, -"/login/index.php".length);
  const page = entries.find((e) => isPage(e)) ?? entries[0];
  if (!page) throw new Error("the recording is empty");
  return new URL(page.request.url).origin;
}

function isPage(entry: HarEntry): boolean {
  const type = entry._resourceType?.toLowerCase();
  if (type !== undefined && !KEPT_TYPES.has(type)) return isUpload(entry) || isServiceWrite(entry);
  const mime = entry.response.content?.mimeType ?? "";
  return entry.request.method === "POST" || mime.startsWith("text/html") ||
    REDIRECT.has(entry.response.status);
}

/** The web-service methods a recorded lib/ajax/service.php POST called (its JSON body). */
function serviceMethods(entry: HarEntry): string[] {
  if (entry.request.method !== "POST" || !SERVICE_PATH.test(new URL(entry.request.url).pathname)) return [];
  try {
    const calls = JSON.parse(entry.request.postData?.text ?? "");
    return Array.isArray(calls) ? calls.map((call) => String(call?.methodname ?? "")) : [];
  } catch {
    return [];
  }
}

/**
 * An AJAX web-service call that writes what the user made — Moodle 4.3's inline forum reply
 * (`mod_forum_add_discussion_post`) is one: the natural "Reply" click posts nothing else. Kept as a
 * `json` step; the page's own background writes (preferences, editor autosave) are not.
 */
function isServiceWrite(entry: HarEntry): boolean {
  return serviceMethods(entry).some((name) => WRITE_METHOD.test(name) && !BACKGROUND_METHOD.test(name));
}

function isUpload(entry: HarEntry): boolean {
  return entry.request.method === "POST" && UPLOAD_PATH.test(new URL(entry.request.url).pathname);
}

/**
 * The site's pages, each with the redirect hops the browser followed after it (one step: the run
 * follows redirects itself); the login and everything after it up to the first other page dropped.
 */
function keptEntries(
  entries: readonly HarEntry[],
  baseUrl: string,
  drop: (reason: string) => void,
): HarEntry[][] {
  const chains: HarEntry[][] = [];
  let expecting: string | undefined;
  let inLogin = false;
  for (const entry of entries) {
    const url = entry.request.url;
    if (!url.startsWith(baseUrl + "/") && url !== baseUrl) {
      drop("other host or outside the site");
      continue;
    }
    const path = new URL(url).pathname.slice(new URL(baseUrl).pathname.replace(/\/$/, "").length);
    if (!isPage(entry) || (STATIC_PATH.test(path) && !isUpload(entry) && !isServiceWrite(entry))) {
      drop("static asset or AJAX");
      continue;
    }
    const hop = expecting !== undefined && url.split("#")[0] === expecting.split("#")[0];
    expecting = redirectTarget(entry, url);
    if (path === "/login/index.php" || (inLogin && hop)) {
      inLogin = true;
      drop("login (done by the login phase)");
      continue;
    }
    inLogin = false;
    if (hop && chains.length) chains[chains.length - 1].push(entry);
    else chains.push([entry]);
    if (hop) drop("redirect hop (followed by the step)");
  }
  return chains;
}

function redirectTarget(entry: HarEntry, url: string): string | undefined {
  if (!REDIRECT.has(entry.response.status)) return undefined;
  const location = entry.response.redirectURL ||
    entry.response.headers?.find((h) => h.name.toLowerCase() === "location")?.value;
  return location ? new URL(location, url).href : undefined;
}

/** The username the recording logged in with (never written out: it becomes `{user}`). */
function recordedUsername(entries: readonly HarEntry[]): string | undefined {
  for (const entry of entries) {
    if (entry.request.method !== "POST" || !entry.request.url.includes("/login/index.php")) continue;
    const value = formFields(entry).username;
    if (value) return value;
  }
  return undefined;
}

function formFields(entry: HarEntry): Record<string, string> {
  const post = entry.request.postData;
  if (!post) return {};
  if (post.params?.length) return Object.fromEntries(post.params.map((p) => [p.name, p.value ?? ""]));
  if ((post.mimeType ?? "").startsWith("application/x-www-form-urlencoded") && post.text) {
    return Object.fromEntries(new URLSearchParams(post.text));
  }
  return {};
}

interface StepContext {
  baseUrl: string;
  username?: string;
  secretsDropped: string[];
}

/** Recorded values that must not be replayed as such: the sesskey and the recorded user. */
function templated(value: string, key: string, context: StepContext): string {
  if (key === "sesskey") return "{sesskey}";
  if (context.username && value === context.username) return "{user}";
  return value;
}

function relativePath(url: string, context: StepContext): string {
  const parsed = new URL(url);
  for (const [key, value] of [...parsed.searchParams]) {
    parsed.searchParams.set(key, templated(value, key, context));
  }
  const path = parsed.href.slice(context.baseUrl.length) || "/";
  return path.replace(/%7Bsesskey%7D/g, "{sesskey}").replace(/%7Buser%7D/g, "{user}").split("#")[0];
}

function toStep(chain: HarEntry[], previous: HarEntry[] | undefined, context: StepContext): JourneyStep {
  const entry = chain[0];
  const base = { name: "", method: "GET" as const, on_fail: "stop" as const };
  if (isUpload(entry)) return { ...base, upload: uploadOf(entry, previous) };
  if (isServiceWrite(entry)) {
    // The sesskey in the URL becomes {sesskey}; the recorded ids in the body stay (the same targets).
    const json = entry.request.postData!.text!;
    return { ...base, method: "POST", path: relativePath(entry.request.url, context), json };
  }
  if (entry.request.method !== "POST") return { ...base, path: relativePath(entry.request.url, context) };
  const fields: Record<string, string> = {};
  for (const [key, value] of Object.entries(formFields(entry))) {
    if (SECRET_NAMES.test(key) && key !== "sesskey") context.secretsDropped.push(key);
    else fields[key] = templated(value, key, context);
  }
  const landing = chain.length > 1
    ? chain[chain.length - 1].request.url
    : redirectTarget(entry, entry.request.url);
  const check = landing ? { check: { url: urlPattern(landing, context) } } : {};
  const page = previous?.[previous.length - 1];
  const html = page?.response.content?.text;
  const form = html
    ? findForm(html, page!.request.url, { action: new URL(entry.request.url).pathname })
    : undefined;
  if (page && (form || !html)) {
    // The page's form gives the hidden fields at run time; only what the user typed or chose is set.
    const overrides = Object.fromEntries(
      Object.entries(fields).filter(([key, value]) =>
        !HIDDEN_NAMES.test(key) && (form === undefined || form.fields[key] !== value)
      ),
    );
    return { ...base, form: { action: new URL(entry.request.url).pathname, fields: overrides }, ...check };
  }
  return { ...base, method: "POST", path: relativePath(entry.request.url, context), fields, ...check };
}

/**
 * A recorded id that comes from the page before (a draft `itemid`, a `logintoken`…) would be stale
 * at run time: when the page holds it as an input's value, that page's step extracts it (by the
 * input's name) and this step uses the variable. Form steps need none (the form has them).
 */
function extractRecordedIds(step: JourneyStep, pageStep: JourneyStep, html: string | undefined): void {
  if (!html || step.form) return;
  const $ = cheerio.load(html);
  const replace = (key: string, value: string): string => {
    if (!HIDDEN_NAMES.test(key) || key === "sesskey" || !/^\d+$|^[A-Za-z0-9]{16,}$/.test(value)) return value;
    const input = $("input").filter((_, el) => $(el).attr("value") === value).first();
    const name = input.attr("name");
    if (!name) return value;
    const variable = name.replace(/[^A-Za-z0-9_]/g, "_").replace(/^(\d)/, "_$1");
    pageStep.extract = { ...pageStep.extract, [variable]: { css: `input[name="${name}"]`, attr: "value" } };
    return `{${variable}}`;
  };
  if (step.fields) {
    step.fields = Object.fromEntries(Object.entries(step.fields).map(([k, v]) => [k, replace(k, v)]));
  }
  if (step.path) {
    const url = new URL(step.path, "http://x");
    for (const [key, value] of [...url.searchParams]) {
      const replaced = replace(key, value);
      if (replaced !== value) step.path = step.path.replace(`${key}=${value}`, `${key}=${replaced}`);
    }
  }
}

/** The landing URL as a pattern: its path and query, numbers generalised (new ids every run). */
function urlPattern(url: string, context: StepContext): string {
  const path = new URL(url).href.slice(context.baseUrl.length).split("#")[0];
  return path.replace(/[.*+?^${}()|[\]\\]/g, "\\$&").replace(/\d+/g, "\\d+");
}

/** The recorded upload: its size, and the previous page's field that holds the draft item id. */
function uploadOf(entry: HarEntry, previous: HarEntry[] | undefined): NonNullable<JourneyStep["upload"]> {
  const post = entry.request.postData;
  const itemid = post?.params?.find((p) => p.name === "itemid")?.value ??
    /name="itemid"\r?\n\r?\n(\d+)/.exec(post?.text ?? "")?.[1];
  const html = previous?.[previous.length - 1].response.content?.text;
  let field = "files_filemanager";
  if (html && itemid) {
    const $ = cheerio.load(html);
    field = $(`input[value="${itemid}"]`).first().attr("name") ?? field;
  }
  const size = fileSize(post?.text) ?? Math.max(1, entry.request.bodySize ?? 1);
  return { field, size_bytes: size };
}

/** The file part's length in a recorded multipart body (when the browser kept the body). */
function fileSize(text: string | undefined): number | undefined {
  const match = text && /filename="[^"]*"\r?\n(?:[^\r\n]+\r?\n)*\r?\n([\s\S]*?)\r?\n--/.exec(text);
  return match ? Math.max(1, new TextEncoder().encode(match[1]).length) : undefined;
}

/** `course-view`, `forum-discuss`, `frontpage`: the script's folder and name. */
function stepName(entry: HarEntry, baseUrl: string): string {
  if (isServiceWrite(entry)) return serviceMethods(entry).join("-").replace(/[^A-Za-z0-9_.-]/g, "_");
  const path = new URL(entry.request.url).pathname.slice(new URL(baseUrl).pathname.replace(/\/$/, "").length);
  const parts = path.replace(/\.php$/, "").split("/").filter(Boolean).filter((p) => p !== "mod");
  const name = parts.slice(-2).join("-").replace(/[^A-Za-z0-9_.-]/g, "_") || "frontpage";
  return entry.request.method === "POST" && !isUpload(entry)
    ? `${name}-submit`
    : isUpload(entry)
    ? "upload"
    : name;
}

function uniqueName(name: string, seen: Map<string, number>): string {
  const count = (seen.get(name) ?? 0) + 1;
  seen.set(name, count);
  return count === 1 ? name : `${name}-${count}`;
}
