/**
 * The real-client benchmark's third clock (scripts/bench_access_log.ts): the kit's nginx log lines are
 * read per client tag, and each client's own time is paired request by request.
 */
import assert from "node:assert/strict";
import { entriesSince, logOffset, ownTimesMs, parseAccessLog } from "../scripts/bench_access_log.ts";

const line = (client: string, rt: string, urt: string, status = 200) =>
  `127.0.0.1 [03/Dec/2026:18:01:21 +0000] "GET /course/view.php?id=4&client=${client} HTTP/1.1" ${status} ` +
  `549254 rt=${rt} urt=${urt}`;

Deno.test("nginx's kit log lines are read per client tag, in ms; untagged lines are skipped", () => {
  const text = [
    line("moodle-load", "0.161", "0.160"),
    `127.0.0.1 [03/Dec/2026:17:55:27 +0000] "GET /login/index.php HTTP/1.1" 200 22203 rt=0.703 urt=0.703`,
    line("hey-a", "0.138", "0.139", 303),
    "",
  ].join("\n");
  assert.deepEqual(parseAccessLog(text), [
    { client: "moodle-load", status: 200, requestMs: 161, upstreamMs: 160 },
    { client: "hey-a", status: 303, requestMs: 138, upstreamMs: 139 },
  ]);
});

Deno.test("each client's own time is its measurement minus nginx's for the same request, in order", () => {
  const entries = parseAccessLog(
    [line("hey", "0.100", "0.100"), line("moodle-load", "0.120", "0.119"), line("hey", "0.130", "0.129")]
      .join("\n"),
  );
  const own = ownTimesMs(entries, "hey", [101.5, 130.25])!;
  assert.deepEqual(own.map((ms) => Number(ms.toFixed(3))), [1.5, 0.25]);
  assert.equal(ownTimesMs(entries, "hey", [101.5]), undefined, "counts that differ cannot be paired");
});

Deno.test("only what the log gained after an offset is read", () => {
  const path = Deno.makeTempFileSync({ suffix: ".log" });
  try {
    Deno.writeTextFileSync(path, line("before", "0.100", "0.100") + "\n");
    const from = logOffset(path);
    Deno.writeTextFileSync(path, line("after", "0.200", "0.199") + "\n", { append: true });
    assert.deepEqual(entriesSince(path, from).map((entry) => entry.client), ["after"]);
    assert.equal(logOffset(`${path}.missing`), 0);
  } finally {
    Deno.removeSync(path);
  }
});
