/**
 * `journey import-har`: a recording like the one Chrome saves (login, redirects, assets, another
 * host, a forum reply, logout) turned into a journey, then that journey run against the demo.
 */
import assert from "node:assert/strict";
import { importHar } from "../src/journey/har.ts";
import { runCli } from "./helpers/cli.ts";
import { withDemo } from "./helpers/demo.ts";
import { defaultDemoUsers } from "../src/demo/mod.ts";
import { demoRunConfig } from "../src/demo/config.ts";

const REPLY_FORM = (site: string) =>
  `<html><body><form autocomplete="off" action="post.php" method="post" id="mformforum" class="mform">
<input name="reply" type="hidden" value="100003"><input name="sesskey" type="hidden" value="REC0RDED1">
<input name="_qf__mod_forum_post_form" type="hidden" value="1"><input name="message[itemid]" type="hidden" value="987654">
<input type="text" name="subject" value="Re: Discussion 3"><textarea name="message[text]"></textarea>
<input type="submit" name="submitbutton" value="Post to forum"></form><a href="${site}/login/logout.php?sesskey=REC0RDED1">Log out</a></body></html>`;

/** A recording of: log in, open discussion 3, reply, log out — as a browser saves it. */
function recording(site: string): unknown {
  let t = Date.parse("2026-12-03T10:00:00Z");
  const entry = (
    method: string,
    url: string,
    status: number,
    more: {
      type?: string;
      mime?: string;
      post?: Record<string, string>;
      location?: string;
      html?: string;
      gapMs?: number;
    } = {},
  ) => {
    t += more.gapMs ?? 50;
    return {
      startedDateTime: new Date(t).toISOString(),
      time: 40,
      _resourceType: more.type ?? "document",
      request: {
        method,
        url,
        postData: more.post
          ? {
            mimeType: "application/x-www-form-urlencoded",
            text: new URLSearchParams(more.post).toString(),
            params: Object.entries(more.post).map(([name, value]) => ({ name, value })),
          }
          : undefined,
      },
      response: {
        status,
        redirectURL: more.location ?? "",
        content: { mimeType: more.mime ?? "text/html; charset=utf-8", text: more.html },
      },
    };
  };
  return {
    log: {
      version: "1.2",
      entries: [
        entry("GET", `${site}/login/index.php`, 200),
        entry("GET", `${site}/theme/styles.php/boost/1/all`, 200, { type: "stylesheet", mime: "text/css" }),
        entry("GET", "https://fonts.example.com/font.woff2", 200, { type: "font", mime: "font/woff2" }),
        entry("POST", `${site}/login/index.php`, 303, {
          post: { username: "recorder", password: "S3cret!", logintoken: "tok" },
          location: `${site}/login/index.php?testsession=3`,
        }),
        entry("GET", `${site}/login/index.php?testsession=3`, 303, { location: `${site}/my/` }),
        entry("GET", `${site}/my/`, 200),
        entry("POST", `${site}/lib/ajax/service.php?sesskey=REC0RDED1`, 200, {
          type: "xhr",
          mime: "application/json",
        }),
        entry("GET", `${site}/mod/forum/discuss.php?d=3`, 200, { gapMs: 4000 }),
        entry("GET", `${site}/theme/image.php/boost/core/1/i/user`, 200, {
          type: "image",
          mime: "image/svg+xml",
        }),
        entry("GET", `${site}/mod/forum/post.php?reply=100003`, 200, {
          gapMs: 60_000,
          html: REPLY_FORM(site),
        }),
        entry("POST", `${site}/mod/forum/post.php`, 303, {
          gapMs: 2500,
          post: {
            reply: "100003",
            sesskey: "REC0RDED1",
            _qf__mod_forum_post_form: "1",
            "message[itemid]": "987654",
            subject: "Re: Discussion 3",
            "message[text]": "<p>recorded reply by recorder</p>",
            submitbutton: "Post to forum",
          },
          location: `${site}/mod/forum/discuss.php?d=3#p1000001`,
        }),
        entry("GET", `${site}/mod/forum/discuss.php?d=3`, 200),
        entry("GET", `${site}/login/logout.php?sesskey=REC0RDED1`, 303, {
          location: `${site}/`,
          gapMs: 1000,
        }),
        entry("GET", `${site}/`, 200),
      ],
    },
  };
}

Deno.test("importHar: pages and form posts kept; assets, other hosts, login and redirect hops dropped; sesskey, draft ids and credentials never recorded", () => {
  const site = "https://m.example/moodle";
  const { journey, baseUrl, dropped, secretsDropped } = importHar(recording(site), {
    name: "rec",
    maxThinkMs: 10_000,
  });
  assert.equal(baseUrl, site);
  // /my/ is where the login lands: the login phase does that part.
  assert.deepEqual(journey.steps.map((s) => s.name), [
    "forum-discuss",
    "forum-post",
    "forum-post-submit",
    "login-logout",
  ]);
  const [discuss, form, submit, logout] = journey.steps;
  assert.equal(discuss.path, "/mod/forum/discuss.php?d=3");
  assert.equal(discuss.think_time_ms, 10_000); // a minute away, capped
  assert.equal(form.think_time_ms, 2500); // 2.5 s between the form's start and the post's, minus its 40 ms, rounded
  assert.equal(submit.think_time_ms, 1000); // from the end of the redirect the post led to
  // The post: the page's form at run time (its sesskey, _qf__ and draft item id), only the typed fields set.
  assert.deepEqual(submit.form, {
    action: "/moodle/mod/forum/post.php",
    fields: { "message[text]": "<p>recorded reply by recorder</p>" },
  });
  assert.deepEqual(submit.check, { url: "/mod/forum/discuss\\.php\\?d=\\d+" });
  assert.equal(logout.path, "/login/logout.php?sesskey={sesskey}");
  assert.equal(dropped["login (done by the login phase)"], 4);
  assert.equal(dropped["static asset or AJAX"], 3);
  assert.equal(dropped["other host or outside the site"], 1);
  assert.equal(dropped["redirect hop (followed by the step)"], 2);
  assert.deepEqual(secretsDropped, []);
  const text = JSON.stringify(journey);
  for (const secret of ["S3cret!", "REC0RDED1", "987654", "tok"]) assert.ok(!text.includes(secret), secret);
});

Deno.test("journey import-har through the CLI, then the imported journey runs against the demo and posts", async () => {
  await withDemo({ users: defaultDemoUsers(2), pageBytes: 5_000, sitePath: "/moodle" }, async (demo) => {
    const dir = await Deno.makeTempDir({ prefix: "moodle_load_har_" });
    await Deno.writeTextFile(`${dir}/forum.har`, JSON.stringify(recording(demo.url)));
    const imported = await runCli([
      "journey",
      "import-har",
      `${dir}/forum.har`,
      "--max-think-ms",
      "200",
      "--out",
      `${dir}/journey.json`,
    ]);
    assert.equal(imported.code, 0, imported.stderr);
    assert.match(
      imported.stderr,
      /Journey forum: 4 steps from .*forum\.har \(site http:\/\/127\.0\.0\.1:\d+\/moodle;/,
    );
    assert.ok(!imported.stderr.includes("S3cret!") && !imported.stdout.includes("S3cret!"));
    const { journeys } = JSON.parse(await Deno.readTextFile(`${dir}/journey.json`));
    assert.ok(journeys[0].steps.every((s: { think_time_ms?: number }) => (s.think_time_ms ?? 0) <= 200));
    await Deno.writeTextFile(
      `${dir}/config.json`,
      JSON.stringify({ ...demoRunConfig({ url: demo.url, users: defaultDemoUsers(2) }), urls: [], journeys }),
    );
    const run = await runCli([
      "run",
      ...["--config", `${dir}/config.json`, "--stats-dir", dir, "--rpm", "120", "--duration", "1", "--json"],
    ]);
    assert.equal(run.code, 0, run.stderr);
    const summary = JSON.parse(await Deno.readTextFile(JSON.parse(run.stdout).summary_file));
    assert.equal(summary.journeys[0].completed, 2, JSON.stringify(summary.journeys[0]));
    assert.equal(demo.counters.forumPosts, 2);
    assert.equal(demo.counters.logouts, 2);
    const bad = await runCli(["journey", "import-har", `${dir}/config.json`]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /not a HAR file: no log\.entries/);
  });
});

Deno.test("importHar: a recorded upload to the upload repository becomes an upload step of the recorded size", () => {
  const site = "https://m.example";
  const at = (s: number) => new Date(Date.parse("2026-12-03T10:00:00Z") + s * 1000).toISOString();
  const page =
    `<form action="${site}/mod/assign/view.php" method="post"><input name="sesskey" type="hidden" value="K">` +
    `<input value="55501" name="files_filemanager" type="hidden"><input type="submit" name="submitbutton" value="Save changes"></form>`;
  const boundary = "----WebKitFormBoundaryX";
  const multipart =
    `--${boundary}\r\nContent-Disposition: form-data; name="repo_upload_file"; filename="a.pdf"\r\n` +
    `Content-Type: application/pdf\r\n\r\n${
      "x".repeat(2048)
    }\r\n--${boundary}\r\nContent-Disposition: form-data; ` +
    `name="itemid"\r\n\r\n55501\r\n--${boundary}--\r\n`;
  const har = {
    log: {
      entries: [
        {
          startedDateTime: at(0),
          time: 10,
          _resourceType: "document",
          request: { method: "GET", url: `${site}/mod/assign/view.php?id=11&action=editsubmission` },
          response: { status: 200, content: { mimeType: "text/html", text: page } },
        },
        {
          startedDateTime: at(5),
          time: 10,
          _resourceType: "xhr",
          request: {
            method: "POST",
            url: `${site}/repository/repository_ajax.php?action=upload`,
            postData: { mimeType: `multipart/form-data; boundary=${boundary}`, text: multipart },
          },
          response: { status: 200, content: { mimeType: "application/json", text: "{}" } },
        },
        {
          startedDateTime: at(7),
          time: 10,
          _resourceType: "document",
          request: {
            method: "POST",
            url: `${site}/mod/assign/view.php`,
            postData: {
              mimeType: "application/x-www-form-urlencoded",
              text: "sesskey=K&files_filemanager=55501&submitbutton=Save+changes",
            },
          },
          response: {
            status: 303,
            redirectURL: `${site}/mod/assign/view.php?id=11&action=view`,
            content: {},
          },
        },
      ],
    },
  };
  const { journey } = importHar(har, { name: "submit" });
  assert.deepEqual(journey.steps.map((s) => s.name), ["assign-view", "upload", "assign-view-submit"]);
  assert.deepEqual(journey.steps[1].upload, { field: "files_filemanager", size_bytes: 2048 });
  assert.deepEqual(journey.steps[2].form, { action: "/mod/assign/view.php", fields: {} });
  assert.deepEqual(journey.steps[2].check, { url: "/mod/assign/view\\.php\\?id=\\d+&action=view" });
});

Deno.test("importHar: a recorded draft item id in a plain post is extracted from the page before it", async () => {
  const { journeyProblems } = await import("../src/config/schema.ts");
  const site = "https://m.example";
  const at = (s: number) => new Date(Date.parse("2026-12-03T10:00:00Z") + s * 1000).toISOString();
  const page =
    `<form action="elsewhere.php" method="post"><input type="hidden" name="message[itemid]" value="777"></form>`;
  const har = {
    log: {
      entries: [
        {
          startedDateTime: at(0),
          time: 10,
          request: { method: "GET", url: `${site}/local/x/page.php` },
          response: { status: 200, content: { mimeType: "text/html", text: page } },
        },
        {
          startedDateTime: at(1),
          time: 10,
          request: {
            method: "POST",
            url: `${site}/local/x/save.php`,
            postData: { mimeType: "application/x-www-form-urlencoded", text: "itemid=777&sesskey=K&text=hi" },
          },
          response: { status: 200, content: { mimeType: "text/html", text: "<p>ok</p>" } },
        },
      ],
    },
  };
  const { journey } = importHar(har, { name: "ids", baseUrl: site });
  const [first, post] = journey.steps;
  assert.deepEqual(first.extract, {
    message_itemid_: { css: 'input[name="message[itemid]"]', attr: "value" },
  });
  assert.equal(post.method, "POST");
  assert.deepEqual(post.fields, { itemid: "{message_itemid_}", sesskey: "{sesskey}", text: "hi" });
  assert.deepEqual(journeyProblems([journey], {}), []);
});

Deno.test("importHar: think time starts when the page and its assets have loaded, not when its document arrived", () => {
  const site = "https://m.example";
  const at = (ms: number) => new Date(Date.parse("2026-12-03T10:00:00Z") + ms).toISOString();
  const entry = (ms: number, time: number, type: string, path: string) => ({
    startedDateTime: at(ms),
    time,
    _resourceType: type,
    request: { method: "GET", url: `${site}${path}` },
    response: { status: 200, content: { mimeType: type === "document" ? "text/html" : "text/plain" } },
  });
  const har = {
    log: {
      entries: [
        entry(0, 40, "document", "/course/view.php?id=4"),
        entry(100, 900, "script", "/lib/javascript.php/1/lib/requirejs.php"), // loaded at 1000 ms
        entry(1500, 20, "xhr", "/lib/ajax/service.php"), // the page's script, while the user reads
        entry(3000, 40, "document", "/mod/page/view.php?id=21"),
      ],
    },
  };
  const { journey } = importHar(har, { name: "read", baseUrl: site });
  assert.equal(journey.steps[0].think_time_ms, 2000);
});

Deno.test("importHar: a web-service write (Moodle's inline reply) becomes a json step; the page's background calls do not", async () => {
  const { journeyProblems } = await import("../src/config/schema.ts");
  const site = "https://m.example";
  const at = (s: number) => new Date(Date.parse("2026-12-03T10:00:00Z") + s * 1000).toISOString();
  const service = (s: number, method: string, args: Record<string, unknown>) => ({
    startedDateTime: at(s),
    time: 10,
    _resourceType: "xhr",
    request: {
      method: "POST",
      url: `${site}/lib/ajax/service.php?sesskey=REC0RDED1&info=${method}`,
      postData: {
        mimeType: "application/json",
        text: JSON.stringify([{ index: 0, methodname: method, args }]),
      },
    },
    response: { status: 200, content: { mimeType: "application/json", text: '[{"error":false,"data":{}}]' } },
  });
  const reply = { postid: "7", message: "hi", subject: "Re: D" };
  const har = {
    log: {
      entries: [
        {
          startedDateTime: at(0),
          time: 10,
          _resourceType: "document",
          request: { method: "GET", url: `${site}/mod/forum/discuss.php?d=4` },
          response: { status: 200, content: { mimeType: "text/html", text: "<p>discussion</p>" } },
        },
        service(1, "core_courseformat_get_state", { courseid: 4 }),
        service(2, "core_user_set_user_preferences", { preferences: [] }),
        service(3, "tiny_autosave_reset_session", {}),
        // A user's first visit of a page with a user tour (the real site did this in CI).
        service(3, "tool_usertours_fetch_and_start_tour", { tourid: 1, context: 1, pageurl: "x" }),
        service(4, "mod_forum_add_discussion_post", reply),
      ],
    },
  };
  const { journey, dropped } = importHar(har, { name: "inline", baseUrl: site });
  assert.deepEqual(journey.steps.map((s) => s.name), ["forum-discuss", "mod_forum_add_discussion_post"]);
  const call = journey.steps[1];
  assert.equal(call.method, "POST");
  assert.equal(call.path, "/lib/ajax/service.php?sesskey={sesskey}&info=mod_forum_add_discussion_post");
  assert.deepEqual(JSON.parse(call.json!)[0].args, reply);
  assert.equal(dropped["static asset or AJAX"], 4);
  assert.deepEqual(journeyProblems([journey], {}), []);
  // A json step needs a path, and nothing else as its body.
  const problems = journeyProblems([{
    ...journey,
    steps: [{ ...call, path: undefined, fields: { a: "b" } }],
  }], {});
  assert.ok(
    problems.some((p) => p.message.startsWith('a "json" step needs "path"')),
    JSON.stringify(problems),
  );
});
