/**
 * The protocol side of journeys: one iteration runs step by step on one Moodle user (its session
 * and cookies), filling templates, posting forms, extracting variables and checking pages. The
 * engine times each step; this file never looks at a clock.
 *
 * Seeded: iteration i draws its parameter values, random texts and think times from its own PRNG
 * (seed, i), in template order, so the same --seed gives the same journeys whatever the timing.
 */
import * as cheerio from "cheerio";
import { Prng } from "../util/random.ts";
import { type ParamSpec, paramValue } from "../engine/targets.ts";
import { statusOk } from "../engine/classify.ts";
import type { JourneyIteration, JourneyRunner, JourneyStepResult, PageResult } from "../engine/types.ts";
import type { MoodleUser } from "../moodle/user.ts";
import { joinUrl as siteUrl } from "../util/url.ts";
import { headText, wholeText } from "../moodle/transport/body.ts";
import { TEMPLATE_PLACEHOLDER } from "../config/schema.ts";
import { findForm } from "./form.ts";
import { encodeMultipart, type MultipartBody } from "../moodle/multipart.ts";
import type { JourneyStep } from "../config/schema.ts";
import type { JourneyPlan, StepPlan } from "./plan.ts";

export interface JourneyContext {
  baseUrl: string;
  seed: number;
  /** Every parameter a journey may use, compiled for the engine's users (index = user). */
  parameters: Readonly<Record<string, ParamSpec>>;
  users: readonly MoodleUser[];
  requestTimeoutMs: number;
  /** The bytes of each `upload.file`, read before the run. */
  uploadFiles?: ReadonlyMap<string, Uint8Array>;
}

/** Moodle's upload repository, as the file manager's "Upload a file" posts to it. */
const UPLOAD_PATH = "/repository/repository_ajax.php?action=upload";
/** The file manager's JS config on the form's page: its context, and the upload repository's id. */
const FILEMANAGER_CONTEXT = /"context":\{"id":(\d+)/;
const UPLOAD_REPOSITORY = /"(\d+)":\{"id":"\d+","name":"(?:[^"\\]|\\.)*","type":"upload"/;

/** Moodle's sesskey: in M.cfg on every logged-in page, and in every form. */
const SESSKEY = /"sesskey":"([A-Za-z0-9]+)"|name="sesskey"[^>]*?value="([A-Za-z0-9]+)"/;
const WORDS =
  "lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt ut labore"
    .split(" ");

export function createJourneyRunner(plans: readonly JourneyPlan[], context: JourneyContext): JourneyRunner {
  const sesskeys = context.users.map((user) => user.sesskey);
  return {
    begin: (journey, user, iteration) => {
      // After a re-login (a logout step, a lost session) the session has a new sesskey.
      sesskeys[user] = context.users[user].sesskey ?? sesskeys[user];
      return new Iteration(plans[journey], user, iteration, context, sesskeys);
    },
  };
}

/** A seed per iteration: the run's seed and the iteration number, both kept (seed < 2^32, i < 2^21). */
function iterationSeed(seed: number, iteration: number): number {
  return (seed >>> 0) * 2 ** 21 + (iteration % 2 ** 21);
}

class Iteration implements JourneyIteration {
  readonly #prng: Prng;
  readonly #values = new Map<string, string>();
  #page: { html: string; url: string } | undefined;

  constructor(
    readonly plan: JourneyPlan,
    readonly user: number,
    readonly iteration: number,
    readonly context: JourneyContext,
    readonly sesskeys: (string | undefined)[],
  ) {
    this.#prng = new Prng(iterationSeed(context.seed, iteration));
  }

  async step(index: number): Promise<JourneyStepResult> {
    const plan = this.plan.steps[index];
    const step = plan.step;
    const think = step.think_time_ms;
    const extra = { continueOnFail: step.on_fail === "continue", thinkMs: 0 };
    extra.thinkMs = think === undefined
      ? 0
      : typeof think === "number"
      ? think
      : think.min + this.#prng.nextFloat() * Math.max(0, think.max - think.min);
    const request = this.#request(plan);
    if ("problem" in request) return { ...failed(request.problem), ...extra };
    const user = this.context.users[this.user];
    const logout = isLogout(request.url);
    const page = await user.page(request.url, {
      timeoutMs: this.context.requestTimeoutMs,
      expect: plan.expect,
      form: request.form,
      multipart: request.multipart,
      keepBody: plan.keepBody,
      logout,
    });
    const { body, ...result } = page;
    const sesskey = SESSKEY.exec(headText(body));
    if (sesskey) this.sesskeys[this.user] = sesskey[1] ?? sesskey[2];
    // An upload answers JSON: the form to submit next is still the page before it.
    const formPage = step.upload ? this.#page : undefined;
    this.#page = undefined;
    if (result.errorClass || result.sessionLost || !statusOk(result.status, plan.expect)) {
      return { ...result, ...extra };
    }
    if (logout) {
      if (!user.loggedIn) return { ...result, loggedOut: true, ...extra };
      const problem =
        `logout: still logged in after ${request.url} (Moodle asks to confirm when the sesskey is wrong)`;
      return { ...result, errorClass: "check_failed", errorMessage: problem, ...extra };
    }
    const html = plan.keepBody ? wholeText(body) : "";
    const problem = (step.upload ? uploadProblem(html, request.url) : undefined) ??
      (step.json !== undefined ? webServiceProblem(html, request.url) : undefined) ??
      this.#check(plan, result.finalUrl, html);
    if (problem) return { ...result, errorClass: "check_failed", errorMessage: problem, ...extra };
    if (plan.keepBody) this.#page = formPage ?? { html, url: result.finalUrl };
    return { ...result, ...extra };
  }

  /** The URL and form body of a step, or why it cannot be sent. */
  #request(plan: StepPlan): StepRequest | { problem: string } {
    const step = plan.step;
    if (step.upload) return this.#upload(step.upload, step.path);
    if (step.form) {
      if (!this.#page) return { problem: `form: the previous step left no page to take the form from` };
      const action = step.form.action === undefined ? undefined : this.#render(step.form.action);
      const found = findForm(this.#page.html, this.#page.url, { selector: step.form.selector, action });
      if (!found) {
        const which = step.form.selector ?? (action ? `with action *${action}*` : "method=post");
        return { problem: `form: no form ${which} on ${this.#page.url}` };
      }
      const fields = { ...found.fields, ...this.#renderAll(step.form.fields) };
      if (found.method === "POST") return { url: found.action, form: fields };
      const url = new URL(found.action);
      for (const [name, value] of Object.entries(fields)) url.searchParams.set(name, value);
      return { url: url.href };
    }
    const path = this.#render(step.path ?? "/");
    const url = /^https?:\/\//i.test(path) ? path : siteUrl(this.context.baseUrl, path);
    if (step.json !== undefined) {
      // A raw body with its content type (the transport posts a multipart body the same way).
      const body = new TextEncoder().encode(this.#render(step.json, true));
      return { url, multipart: { contentType: "application/json", body } };
    }
    return step.method === "POST" ? { url, form: this.#renderAll(step.fields ?? {}) } : { url };
  }

  /**
   * Moodle's file manager "Upload a file": a multipart POST to the upload repository with the
   * sesskey, the repository's id, the draft item id of the previous page's form field, its context
   * and a title. The file lands in the user's draft area; the next step submits the form.
   */
  #upload(
    upload: NonNullable<JourneyStep["upload"]>,
    path: string | undefined,
  ): StepRequest | { problem: string } {
    const page = this.#page;
    if (!page) return { problem: "upload: the previous step left no page with a file manager" };
    const itemid = findFieldValue(page.html, upload.field);
    const context = FILEMANAGER_CONTEXT.exec(page.html)?.[1];
    const repository = UPLOAD_REPOSITORY.exec(page.html)?.[1];
    if (itemid === undefined) return { problem: `upload: no field ${upload.field} on ${page.url}` };
    if (!context || !repository) {
      return { problem: `upload: no file manager with the upload repository on ${page.url}` };
    }
    const filename = this.#render(upload.name ?? "moodle-load-{iteration}.bin");
    const fields = {
      sesskey: this.sesskeys[this.user] ?? "",
      repo_id: repository,
      itemid,
      ctx_id: context,
      title: filename,
      savepath: "/",
      license: "unknown",
      author: this.context.users[this.user].username,
      env: "filemanager",
    };
    const bytes = this.#uploadBytes(upload);
    const url = siteUrl(this.context.baseUrl, this.#render(path ?? UPLOAD_PATH));
    return { url, multipart: encodeMultipart(fields, [{ field: "repo_upload_file", filename, bytes }]) };
  }

  /**
   * The file's bytes: `file` as read, or `size_bytes` seeded bytes. The first 16 differ per
   * iteration, so that no two uploads share a content hash (Moodle stores a content once).
   */
  #uploadBytes(upload: NonNullable<JourneyStep["upload"]>): Uint8Array {
    const base = upload.file !== undefined
      ? this.context.uploadFiles?.get(upload.file) ?? new Uint8Array()
      : seededBytes(upload.size_bytes ?? 0, this.context.seed);
    const bytes = base.slice();
    for (let i = 0; i < Math.min(16, bytes.length); i++) bytes[i] = this.#prng.nextUint32() & 0xff;
    return bytes;
  }

  /** The first check that fails (named), then the extractions; undefined when all hold. */
  #check(plan: StepPlan, finalUrl: string, html: string): string | undefined {
    const check = plan.step.check;
    if (plan.urlCheck && !plan.urlCheck.test(finalUrl)) {
      return `check "url" failed: ${finalUrl} does not match /${plan.urlCheck.source}/`;
    }
    if (check?.contains !== undefined && !html.includes(check.contains)) {
      return `check "contains" failed: no "${check.contains}" in ${finalUrl}`;
    }
    if (check?.not_contains !== undefined && html.includes(check.not_contains)) {
      return `check "not_contains" failed: "${check.not_contains}" found in ${finalUrl}`;
    }
    if (plan.bodyRegex && !plan.bodyRegex.test(html)) {
      return `check "regex" failed: /${plan.bodyRegex.source}/ does not match ${finalUrl}`;
    }
    let $: cheerio.CheerioAPI | undefined;
    for (const [name, extractor] of plan.extract) {
      let value: string | undefined;
      if ("regex" in extractor) {
        const match = extractor.regex.exec(html);
        value = match ? match[1] ?? match[0] : undefined;
      } else {
        $ ??= cheerio.load(html);
        const element = $(extractor.css).first();
        value = element.length === 0
          ? undefined
          : extractor.attr
          ? element.attr(extractor.attr)
          : element.text().trim();
      }
      if (value === undefined) return `extract "${name}" found nothing in ${finalUrl}`;
      this.#values.set(name, value);
    }
    return undefined;
  }

  #renderAll(fields: Record<string, string>): Record<string, string> {
    return Object.fromEntries(Object.entries(fields).map(([name, value]) => [name, this.#render(value)]));
  }

  /**
   * Fill a template: built-ins, extracted variables, then parameters (drawn once per iteration);
   * `json`: each value escaped as a JSON string's content.
   */
  #render(template: string, json = false): string {
    if (json) {
      return template.replace(
        TEMPLATE_PLACEHOLDER,
        (placeholder) => JSON.stringify(this.#render(placeholder)).slice(1, -1),
      );
    }
    return template.replace(TEMPLATE_PLACEHOLDER, (_, name: string, length?: string) => {
      if (name === "sesskey") return this.sesskeys[this.user] ?? "";
      if (name === "user") return this.context.users[this.user].username;
      if (name === "iteration") return String(this.iteration);
      if (name === "random_text") return this.#randomText(Number(length ?? 20));
      const known = this.#values.get(name);
      if (known !== undefined) return known;
      const spec = this.context.parameters[name];
      if (!spec) return "";
      const value = String(paramValue(spec, this.user, this.#prng.nextFloat()));
      this.#values.set(name, value);
      return value;
    });
  }

  #randomText(length: number): string {
    let text = "";
    while (text.length < length) {
      text += (text ? " " : "") + WORDS[Math.floor(this.#prng.nextFloat() * WORDS.length)];
    }
    return text.slice(0, length);
  }
}

interface StepRequest {
  url: string;
  form?: Record<string, string>;
  multipart?: MultipartBody;
}

/** The value of the named control on a page (the draft item id of a file manager), if any. */
function findFieldValue(html: string, field: string): string | undefined {
  const $ = cheerio.load(html);
  return $("input").filter((_, el) => $(el).attr("name") === field).first().attr("value");
}

const seededBase = new Map<string, Uint8Array>();

/** `size` bytes from the run's seed, made once per size and seed. */
function seededBytes(size: number, seed: number): Uint8Array {
  const key = `${size}:${seed}`;
  let bytes = seededBase.get(key);
  if (!bytes) {
    const prng = new Prng(seed);
    bytes = new Uint8Array(size);
    const words = new Uint32Array(bytes.buffer, 0, Math.floor(size / 4));
    for (let i = 0; i < words.length; i++) words[i] = prng.nextUint32();
    for (let i = words.length * 4; i < size; i++) bytes[i] = prng.nextUint32() & 0xff;
    seededBase.set(key, bytes);
  }
  return bytes;
}

/**
 * Moodle's upload repository answers 200 with JSON: the stored file (`id`, `file`), a name clash
 * (`event: fileexists`: stored under a new name), or `{"error": …}` (wrong sesskey, too large…).
 */
function uploadProblem(text: string, url: string): string | undefined {
  let answer: { error?: string; id?: unknown; event?: string };
  try {
    answer = JSON.parse(text);
  } catch {
    return `upload: no JSON answer from ${url}`;
  }
  if (typeof answer.error === "string") return `upload: Moodle refused the file: ${answer.error}`;
  if (answer.id === undefined && answer.event !== "fileexists") {
    return `upload: unexpected answer from ${url}`;
  }
  return undefined;
}

/**
 * Moodle's AJAX web services (lib/ajax/service.php) answer 200 whatever happened: a list with one
 * `{"error": false, "data": …}` per call, `{"error": true, "exception": {…}}` for a failed call, or
 * one `{"error": "…", "errorcode": …}` object for the whole request (a wrong sesskey, a lost session).
 */
function webServiceProblem(text: string, url: string): string | undefined {
  let answer: unknown;
  try {
    answer = JSON.parse(text);
  } catch {
    return `web service: no JSON answer from ${url}`;
  }
  type Answer = { error?: unknown; errorcode?: string; exception?: { message?: string; errorcode?: string } };
  const failed = (Array.isArray(answer) ? answer : [answer]).find((a: Answer) => a?.error !== false) as
    | Answer
    | undefined;
  if (!failed) return undefined;
  const why = failed.exception?.message ?? (typeof failed.error === "string" ? failed.error : undefined) ??
    failed.exception?.errorcode ?? failed.errorcode ?? "no error field";
  return `web service: Moodle answered an error: ${why}`;
}

/** Moodle's logout script: the step ends the session, and the user logs in again before its next iteration. */
function isLogout(url: string): boolean {
  return /\/login\/logout\.php$/.test(new URL(url).pathname);
}

function failed(message: string): PageResult {
  return {
    status: 0,
    finalUrl: "",
    bytes: 0,
    sessionLost: false,
    errorClass: "check_failed",
    errorMessage: message,
  };
}
