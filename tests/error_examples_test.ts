/**
 * Failure reasons with an example each (`error_examples`): the first measured request that failed for
 * a reason, as endpoint and path with query — no host, no credentials — bounded like the reasons, and
 * merged across shards with the first shard's example winning.
 */
import assert from "node:assert/strict";
import type { RequestLogEntry } from "../src/engine/engine.ts";
import {
  ErrorReasons,
  MAX_REASONS_PER_CLASS,
  mergeErrorReasons,
  OTHER_REASONS,
} from "../src/results/error_reasons.ts";
import { checkShards, mergeSummaries } from "../src/results/merge.ts";
import type { FullRunSummary } from "../src/results/summary.ts";
import { redactedPathAndQuery } from "../src/util/redact.ts";
import { demoSummary } from "./helpers/run_dir_fixture.ts";
import { renderReport } from "../src/report/html.ts";
import { buildCharts } from "../src/report/charts.ts";

function failed(
  endpoint: string,
  url: string,
  reason: string,
  error: RequestLogEntry["error"] = "http_5xx",
  warmup = false,
): RequestLogEntry {
  return {
    i: 0,
    warmup,
    endpoint,
    url,
    user: "u1",
    intended_ms: 0,
    lateness_ms: 0,
    latency_ms: 5,
    service_ms: 5,
    status: 503,
    bytes: 0,
    ok: false,
    error,
    reason,
  };
}

Deno.test("each (class, reason) keeps its count and the first failing request's endpoint and path", () => {
  const reasons = new ErrorReasons();
  const hook = reasons.onRequest();
  // One entry object, reused as the engine reuses its own: the example must be a copy.
  const entry = failed(
    "course_view",
    "http://u:pw@site/course/view.php?id=12",
    "HTTP 503 at http://site/course/view.php?id=12",
  );
  hook(entry);
  Object.assign(entry, { endpoint: "forum_view", url: "http://site/mod/forum/view.php?id=99" });
  entry.reason = "HTTP 503 at http://site/mod/forum/view.php?id=99";
  hook(entry);
  hook(
    failed(
      "course_view",
      "http://site/course/view.php?id=13",
      "HTTP 503 at http://site/course/view.php?id=13",
    ),
  );
  hook(failed("dashboard", "http://site/my/?sesskey=abc123", "timed out after 10000 ms", "timeout"));
  hook(failed("dashboard", "http://site/my/", "timed out after 10000 ms", "timeout", true)); // warm-up
  assert.deepEqual(reasons.counts, {
    http_5xx: { "HTTP 503 at /course/view.php": 2, "HTTP 503 at /mod/forum/view.php": 1 },
    timeout: { "timed out after N ms": 1 },
  });
  assert.deepEqual(reasons.examples, {
    http_5xx: {
      "HTTP 503 at /course/view.php": { endpoint: "course_view", url: "/course/view.php?id=12" },
      "HTTP 503 at /mod/forum/view.php": { endpoint: "forum_view", url: "/mod/forum/view.php?id=99" },
    },
    timeout: { "timed out after N ms": { endpoint: "dashboard", url: "/my/?sesskey=***" } },
  });
});

Deno.test("examples are bounded like the reasons: past the bound one example for '(other reasons)'", () => {
  const reasons = new ErrorReasons();
  const hook = reasons.onRequest();
  for (let k = 0; k < MAX_REASONS_PER_CLASS + 5; k++) {
    hook(failed(`e${k}`, `http://site/p${k}.php`, `broken ${k}`, "other"));
  }
  assert.equal(Object.keys(reasons.counts.other).length, MAX_REASONS_PER_CLASS + 1);
  assert.equal(reasons.counts.other[OTHER_REASONS], 5);
  assert.equal(Object.keys(reasons.examples.other).length, MAX_REASONS_PER_CLASS + 1);
  const first = MAX_REASONS_PER_CLASS; // the first reason that did not fit
  assert.deepEqual(reasons.examples.other[OTHER_REASONS], { endpoint: `e${first}`, url: `/p${first}.php` });
});

Deno.test("an example URL is its path and query: no scheme, host or userinfo; secret query values hidden", () => {
  assert.equal(
    redactedPathAndQuery("https://user:s3cret@moodle.example/mod/quiz/view.php?id=7"),
    "/mod/quiz/view.php?id=7",
  );
  assert.equal(
    redactedPathAndQuery("http://h/login/logout.php?sesskey=Ab12&x=1"),
    "/login/logout.php?sesskey=***&x=1",
  );
  assert.equal(
    redactedPathAndQuery(
      "http://h/webservice/rest/server.php?wstoken=t0k&wsfunction=core_x&password=pw&key=k",
    ),
    "/webservice/rest/server.php?wstoken=***&wsfunction=core_x&password=***&key=***",
  );
  assert.equal(
    redactedPathAndQuery("http://h/a?%73esskey=zz&keyword=moodle"),
    "/a?%73esskey=***&keyword=moodle",
  );
  assert.equal(redactedPathAndQuery("/my/courses.php?x=1#frag"), "/my/courses.php?x=1");
  assert.equal(redactedPathAndQuery("http://[bad"), "");
});

Deno.test("merging shards: counts added, the first shard's example of a row wins, the bound holds", () => {
  const shard0 = {
    reasons: { http_5xx: { "HTTP 503 at /a": 3 } },
    examples: { http_5xx: { "HTTP 503 at /a": { endpoint: "a", url: "/a?id=1" } } },
  };
  const shard1 = {
    reasons: { http_5xx: { "HTTP 503 at /a": 2, "HTTP 502 at /b": 1 }, timeout: { "timed out": 4 } },
    examples: {
      http_5xx: {
        "HTTP 503 at /a": { endpoint: "a", url: "/a?id=2" },
        "HTTP 502 at /b": { endpoint: "b", url: "/b" },
      },
      timeout: { "timed out": { endpoint: "c", url: "/c" } },
    },
  };
  const merged = mergeErrorReasons([shard0, shard1]);
  assert.deepEqual(merged.counts, {
    http_5xx: { "HTTP 503 at /a": 5, "HTTP 502 at /b": 1 },
    timeout: { "timed out": 4 },
  });
  assert.deepEqual(merged.examples.http_5xx["HTTP 503 at /a"], { endpoint: "a", url: "/a?id=1" });
  assert.deepEqual(merged.examples.http_5xx["HTTP 502 at /b"], { endpoint: "b", url: "/b" });
  // two shards with 15 distinct reasons each: 20 kept, the other 10 counted (and exemplified) together
  const many = (shard: number) => {
    const reasons: Record<string, number> = {};
    const examples: Record<string, { endpoint: string; url: string }> = {};
    for (let k = 0; k < 15; k++) {
      reasons[`r${shard}-${k}`] = 1;
      examples[`r${shard}-${k}`] = { endpoint: `s${shard}`, url: `/${k}` };
    }
    return { reasons: { other: reasons }, examples: { other: examples } };
  };
  const bounded = mergeErrorReasons([many(0), many(1)]);
  assert.equal(Object.keys(bounded.counts.other).length, MAX_REASONS_PER_CLASS + 1);
  assert.equal(bounded.counts.other[OTHER_REASONS], 10);
  assert.deepEqual(bounded.examples.other[OTHER_REASONS], { endpoint: "s1", url: "/5" });
  // summaries written before examples existed merge too (their rows have no example)
  const old = mergeErrorReasons([{ reasons: { timeout: { "t": 1 } } }, shard1]);
  assert.deepEqual(old.examples.timeout, { "timed out": { endpoint: "c", url: "/c" } });
});

/** A shard's summary: the fixture run plus the fields `run --shard` adds. */
function shardSummary(index: number, extra: Partial<FullRunSummary>): FullRunSummary {
  return {
    ...demoSummary(),
    sent: 0,
    abandoned: 0,
    drain_sec: 0,
    late_bound_ms: 10,
    max_in_flight: 1,
    users: 10,
    user_bound: false,
    schedule: { kind: "constant", segments: [] },
    warmup: { total: 0, success: 0, failures: 0, not_sent: 0 },
    relogin_failures: 0,
    shard: { index, count: 2 },
    schedule_hash: "h".repeat(64),
    ...extra,
  };
}

Deno.test("merge of shard summaries carries error_reasons and error_examples (absent when no shard failed)", () => {
  const inputs = [
    {
      path: "s1",
      summary: shardSummary(1, {
        error_reasons: { http_5xx: { "HTTP 503 at /a": 2 } },
        error_examples: { http_5xx: { "HTTP 503 at /a": { endpoint: "a", url: "/a?id=2" } } },
      }),
    },
    {
      path: "s0",
      summary: shardSummary(0, {
        error_reasons: { http_5xx: { "HTTP 503 at /a": 1 } },
        error_examples: { http_5xx: { "HTTP 503 at /a": { endpoint: "a", url: "/a?id=1" } } },
      }),
    },
  ];
  const merged = mergeSummaries(inputs, checkShards(inputs, false), "test");
  assert.deepEqual(merged.error_reasons, { http_5xx: { "HTTP 503 at /a": 3 } });
  assert.deepEqual(merged.error_examples, {
    http_5xx: { "HTTP 503 at /a": { endpoint: "a", url: "/a?id=1" } },
  });
  const clean = [0, 1].map((i) => ({ path: `c${i}`, summary: shardSummary(i, {}) }));
  const none = mergeSummaries(clean, checkShards(clean, false), "test");
  assert.equal(none.error_reasons, undefined);
  assert.equal(none.error_examples, undefined);
});

Deno.test("the report's failure reasons table: count beside share, the example's endpoint and path; none without failures", () => {
  const summary = {
    ...demoSummary(),
    error_reasons: {
      http_5xx: { "HTTP 503 at /course/view.php": 12, [OTHER_REASONS]: 2 },
      timeout: { "timed out": 3 },
    },
    error_examples: {
      http_5xx: { "HTTP 503 at /course/view.php": { endpoint: "course_view", url: "/course/view.php?id=4" } },
      timeout: { "timed out": { endpoint: "dashboard", url: "/my/?sesskey=***" } },
    },
  };
  const html = renderReport({
    summary,
    runName: "r",
    charts: buildCharts(summary, []),
    generatedAt: "2026-12-03T00:00:00Z",
    version: "test",
  });
  const section = html.slice(html.indexOf('<table class="sortable" id="failure-reasons">'));
  const body = section.slice(0, section.indexOf("</table>"));
  assert.match(body, /<th[^>]*>Example<span class="sort-arrow">/);
  assert.match(
    body,
    /<td>http_5xx<\/td><td>HTTP 503 at \/course\/view.php<\/td><td class="num" data-sort="12">12 \(\d+\.\d\d%\)<\/td><td data-sort="course_view"><span class="ep">course_view<\/span><span class="path">\/course\/view.php\?id=4<\/span><\/td>/,
  );
  assert.match(
    body,
    /<td>\(other reasons\)<\/td><td class="num" data-sort="2">2 \([\d.]+%\)<\/td><td>–<\/td>/,
  );
  assert.match(body, /<span class="path">\/my\/\?sesskey=\*\*\*<\/span>/);
  const clean = { ...demoSummary(), error_reasons: undefined, error_examples: undefined };
  const none = renderReport({
    summary: clean,
    runName: "r",
    charts: buildCharts(clean, []),
    generatedAt: "",
    version: "t",
  });
  assert.ok(!none.includes('id="failure-reasons"'));
});
