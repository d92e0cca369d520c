/** Journeys' pure parts: forms as a browser submits them, template validation, `config check`. */
import assert from "node:assert/strict";
import { findForm } from "../src/journey/form.ts";
import { ConfigSchema } from "../src/config/schema.ts";
import { runCli } from "./helpers/cli.ts";

const MFORM = `<form id="search" action="/search.php"><input name="q"></form>
<form id="mformforum" autocomplete="off" action="post.php" method="post" class="mform">
<input name="reply" type="hidden" value="5" /><input name="sesskey" type="hidden" value="abc123" />
<input name="_qf__mod_forum_post_form" type="hidden" value="1" /><input type="text" name="subject" value="Re: Hi">
<textarea name="message[text]">old</textarea><select name="format"><option value="0">a</option><option value="1" selected>b</option></select>
<input type="checkbox" name="subscribe" value="1" checked><input type="checkbox" name="pinned" value="1">
<input type="file" name="attachment"><input type="submit" name="submitbutton" value="Post to forum">
<input type="submit" name="cancel" value="Cancel"></form>`;

Deno.test("findForm: every hidden field and default, the submit button, not cancel/unchecked/file", () => {
  const form = findForm(MFORM, "http://m.example/mod/forum/post.php?reply=5", { action: "post.php" })!;
  assert.equal(form.action, "http://m.example/mod/forum/post.php");
  assert.equal(form.method, "POST");
  assert.deepEqual(form.fields, {
    reply: "5",
    sesskey: "abc123",
    _qf__mod_forum_post_form: "1",
    subject: "Re: Hi",
    "message[text]": "old",
    format: "1",
    subscribe: "1",
    submitbutton: "Post to forum",
  });
  assert.equal(findForm(MFORM, "http://m.example/", { selector: "#search" })?.method, "GET");
  assert.equal(findForm(MFORM, "http://m.example/", { action: "nothing.php" }), undefined);
});

Deno.test("journey schema: unknown placeholders, a form on the first step, and a step without path are refused", () => {
  const base = { base_url: "http://m.example", users: [{ username: "u", password: "p" }] };
  const parsed = ConfigSchema.safeParse({
    ...base,
    parameters: { d: { values: [1] } },
    journeys: [{
      name: "j",
      steps: [
        { name: "a", form: { fields: {} } },
        { name: "b", path: "/x?d={d}&p={post}&s={sesskey}&t={random_text:9}" },
        { name: "c" },
      ],
    }],
  });
  assert.equal(parsed.success, false);
  const messages = parsed.error!.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
  assert.equal(messages.length, 3, messages.join("\n"));
  assert.ok(messages.some((m) => m.startsWith("journeys.0.steps.0.form: a form step needs a page")));
  assert.ok(messages.some((m) => m.startsWith("journeys.0.steps.1: {post} is no built-in")));
  assert.ok(
    messages.some((m) => m.startsWith('journeys.0.steps.2: a step needs "path", "form" or "upload"')),
  );
  const ok = ConfigSchema.safeParse({
    ...base,
    journeys: [{ name: "j", steps: [{ name: "a", path: "/" }] }],
  });
  assert.equal(ok.success, true, "journeys instead of urls");
});

Deno.test("config check prints each journey's steps", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/c.json`;
  await Deno.writeTextFile(
    path,
    JSON.stringify({
      base_url: "http://m.example",
      users: [{ username: "u", password: "p" }],
      journeys: [{
        name: "post",
        steps: [
          { name: "open", path: "/mod/forum/post.php?reply=5", think_time_ms: { min: 100, max: 200 } },
          { name: "send", form: { action: "post.php", fields: { subject: "x" } }, check: { url: "#p\\d+" } },
        ],
      }],
    }),
  );
  const result = await runCli(["config", "check", path]);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /Journey post \(weight 1, 100\.0 %\)/);
  assert.match(result.stdout, /post\/open +GET \/mod\/forum\/post\.php\?reply=5 .*100–200 ms/);
  assert.match(result.stdout, /post\/send +submit form \(action\*=post\.php\) setting subject/);
});
