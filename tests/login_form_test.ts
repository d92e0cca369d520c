/**
 * The login reads Moodle's login page with a targeted scanner (no DOM): it must read what a DOM
 * parser reads — the `form#login` action and its `logintoken` (not the guest form's copy), and the
 * `#loginerrormessage` text — on the real Moodle 4.3 login page and on the shapes HTML allows.
 */
import assert from "node:assert/strict";
import * as cheerio from "cheerio";
import { decodeEntities, loginErrorText, parseLoginForm } from "../src/moodle/login_form.ts";
import { realMoodle } from "./helpers/real_moodle.ts";
import { requireService } from "./helpers/services.ts";

/** What the DOM says (cheerio, as the login read it before). */
function byDom(html: string) {
  const $ = cheerio.load(html);
  const form = $("form#login");
  if (form.length === 0) return undefined;
  return {
    action: form.attr("action") || undefined,
    logintoken: String(form.find('input[name="logintoken"]').val() ?? ""),
    anchor: String(form.find('input[name="anchor"]').val() ?? ""),
  };
}

Deno.test("the scanner reads the login form as a DOM does, in the shapes HTML allows", () => {
  const pages = [
    // The guest form first, carrying the same token again; single quotes; an entity in the action.
    `<form id='guestlogin' action="/login/index.php"><input type="hidden" name="logintoken" value="GUEST"></form>` +
    `<form class="login-form" action='http://h/login/index.php?a=1&amp;b=2' method="post" id='login'>` +
    `<input type="hidden" name="anchor" value=""><input type="hidden" name="logintoken" value="Tok123">` +
    `<input id="username" name="username"></form>`,
    // Upper-case tags, unquoted values, attributes across lines, a self-closing input.
    `<FORM\nid=login\nACTION=/moodle/login/index.php><INPUT NAME=logintoken VALUE=abc /><input name=anchor value="#x"></FORM>`,
    // No action: the page's own URL is used.
    `<form id="login" method="post"><input name="logintoken" value="q&quot;r"></form>`,
    // No login form at all.
    `<form id="guestlogin"><input name="logintoken" value="x"></form>`,
    // A form whose id only starts with "login".
    `<form id="login2"><input name="logintoken" value="x"></form>`,
  ];
  for (const html of pages) assert.deepEqual(parseLoginForm(html), byDom(html), html);
  assert.equal(parseLoginForm(pages[0])?.logintoken, "Tok123");
});

Deno.test("the login error text is read as a DOM does", () => {
  const pages = [
    `<a href="#" id="loginerrormessage" class="sr-only">Invalid login, please try again</a>` +
    `<div class="alert alert-danger" role="alert">Invalid login, please try again</div>`,
    `<div id='loginerrormessage'> <span>Your session has timed out &amp; please log in</span> </div>`,
    `<p>no error here</p>`,
  ];
  for (const html of pages) {
    const dom = cheerio.load(html)("#loginerrormessage").first();
    assert.equal(loginErrorText(html), dom.length ? dom.text().trim() : undefined, html);
  }
  assert.equal(decodeEntities("a&amp;b&#39;c&#x41;&unknown;"), "a&b'cA&unknown;");
});

const { site, availability } = await realMoodle();
const service = requireService("a real Moodle site (../shared/moodle/start-moodle)", availability);

Deno.test({
  name: "real Moodle 4.3: the scanner reads the login page's form and a failed login's error as a DOM does",
  ignore: service.ignore,
  fn: async () => {
    if (!site) throw new Error(`the real Moodle site did not start: ${availability.reason}`);
    const loginUrl = `${site.base_url}/login/index.php`;
    const first = await fetch(loginUrl);
    const html = await first.text();
    const form = parseLoginForm(html);
    assert.deepEqual(form, byDom(html));
    assert.match(form?.logintoken ?? "", /^[A-Za-z0-9]{32}$/);
    // A wrong password lands on the login page with the error, once.
    const cookie = first.headers.getSetCookie().map((c) => c.split(";")[0]).join("; ");
    const posted = await fetch(new URL(form!.action ?? loginUrl, loginUrl), {
      method: "POST",
      headers: { cookie, "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        anchor: "",
        logintoken: form!.logintoken,
        username: "nobody",
        password: "x",
      }),
      redirect: "manual",
    });
    await posted.body?.cancel();
    const landing = await (await fetch(posted.headers.get("location")!, { headers: { cookie } })).text();
    const error = loginErrorText(landing);
    assert.ok(error, "an error on the landing page");
    assert.equal(error, cheerio.load(landing)("#loginerrormessage").first().text().trim());
  },
});
