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
import type { JourneyPlan, StepPlan } from "./plan.ts";

export interface JourneyContext {
  baseUrl: string;
  seed: number;
  /** Every parameter a journey may use, compiled for the engine's users (index = user). */
  parameters: Readonly<Record<string, ParamSpec>>;
  users: readonly MoodleUser[];
  requestTimeoutMs: number;
}

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
      keepBody: plan.keepBody,
      logout,
    });
    const { body, ...result } = page;
    const sesskey = SESSKEY.exec(headText(body));
    if (sesskey) this.sesskeys[this.user] = sesskey[1] ?? sesskey[2];
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
    const problem = this.#check(plan, result.finalUrl, html);
    if (problem) return { ...result, errorClass: "check_failed", errorMessage: problem, ...extra };
    if (plan.keepBody) this.#page = { html, url: result.finalUrl };
    return { ...result, ...extra };
  }

  /** The URL and form body of a step, or why it cannot be sent. */
  #request(plan: StepPlan): { url: string; form?: Record<string, string> } | { problem: string } {
    const step = plan.step;
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
    return step.method === "POST" ? { url, form: this.#renderAll(step.fields ?? {}) } : { url };
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

  /** Fill a template: built-ins, extracted variables, then parameters (drawn once per iteration). */
  #render(template: string): string {
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
