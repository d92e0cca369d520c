/**
 * A form of a page as a browser would submit it: every successful control with its current value
 * (hidden fields, text, checked boxes, selected options, textareas), the first submit button that
 * is not a cancel button (Moodle's mforms look for `submitbutton`), then the caller's fields on top.
 * This is how a journey posts a Moodle mform without knowing its hidden fields (sesskey, _qf__…,
 * draft item ids).
 */
import * as cheerio from "cheerio";

export interface FoundForm {
  /** Absolute URL the form posts to. */
  action: string;
  method: "GET" | "POST";
  fields: Record<string, string>;
}

export interface FormChoice {
  /** A CSS selector of the form. */
  selector?: string;
  /** Or: the form whose action contains this text. */
  action?: string;
}

const SKIPPED_INPUTS = new Set(["button", "reset", "image", "file"]);

/** The chosen form of `html` (served at `pageUrl`), or undefined when the page has none. */
export function findForm(html: string, pageUrl: string, choice: FormChoice): FoundForm | undefined {
  const $ = cheerio.load(html);
  const forms = choice.selector ? $(choice.selector).filter("form") : $("form");
  // The action as written or resolved (a recorded path matches a relative `action="post.php"` too).
  const actionOf = (el: Parameters<typeof $>[0]) => {
    const written = $(el).attr("action") ?? "";
    return [written, new URL(written || pageUrl, pageUrl).href];
  };
  const form = choice.action
    ? forms.filter((_, el) => actionOf(el).some((a) => a.includes(choice.action!))).first()
    : choice.selector
    ? forms.first()
    : forms.filter((_, el) => ($(el).attr("method") ?? "").toLowerCase() === "post").first();
  if (form.length === 0) return undefined;
  const fields: Record<string, string> = {};
  let submitTaken = false;
  form.find("input, textarea, select, button").each((_, el) => {
    const control = $(el);
    const name = control.attr("name");
    if (!name || control.attr("disabled") !== undefined) return;
    const tag = el.tagName.toLowerCase();
    const type = (control.attr("type") ?? (tag === "button" ? "submit" : "text")).toLowerCase();
    if (tag === "textarea") fields[name] = control.text();
    else if (tag === "select") {
      const selected = control.find("option[selected]").first();
      const option = selected.length ? selected : control.find("option").first();
      if (option.length) fields[name] = option.attr("value") ?? option.text();
    } else if (type === "submit") {
      if (submitTaken || /cancel/i.test(name)) return;
      submitTaken = true;
      fields[name] = control.attr("value") ?? "";
    } else if (type === "checkbox" || type === "radio") {
      if (control.attr("checked") !== undefined) fields[name] = control.attr("value") ?? "on";
    } else if (!SKIPPED_INPUTS.has(type)) fields[name] = control.attr("value") ?? "";
  });
  return {
    action: new URL(form.attr("action") || pageUrl, pageUrl).href,
    method: (form.attr("method") ?? "get").toLowerCase() === "post" ? "POST" : "GET",
    fields,
  };
}
