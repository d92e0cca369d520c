/**
 * The verdict of `moodle-load run` counts every request sent: through the CLI, against a demo site
 * whose content pages never answer (login and /my/ work), every one still hanging when the grace
 * period ends is a failure of class `abandoned`, and a threshold on the error rate sees them.
 */
import assert from "node:assert/strict";
import { runCli } from "./helpers/cli.ts";
import { defaultDemoUsers } from "../src/demo/mod.ts";
import { DemoSite } from "../src/demo/site.ts";
import { resolveDemoOptions } from "../src/demo/options.ts";

/** The demo site, except that /course/view.php never answers (until the test ends). */
async function withHangingCourses(fn: (url: string) => Promise<void>): Promise<void> {
  const site = new DemoSite(resolveDemoOptions({ users: defaultDemoUsers(6), pageBytes: 5_000 }));
  const hanging: (() => void)[] = [];
  // Answered only when the test ends (after the CLI has exited): never within the run.
  const hang = () =>
    new Promise<Response>((resolve) => hanging.push(() => resolve(new Response("too late"))));
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    (request) => new URL(request.url).pathname === "/course/view.php" ? hang() : site.handle(request),
  );
  site.setOrigin(`http://127.0.0.1:${server.addr.port}`);
  try {
    await fn(site.wwwroot);
  } finally {
    for (const answer of hanging) answer();
    await server.shutdown();
  }
}

Deno.test("run: requests still hanging when the grace ends are abandoned failures; error_rate<1% fails (exit 99)", async () => {
  await withHangingCourses(async (url) => {
    const dir = await Deno.makeTempDir({ prefix: "moodle_load_verdict_" });
    await Deno.writeTextFile(
      `${dir}/config.json`,
      JSON.stringify({
        base_url: url,
        login_path: "/login/index.php",
        users: defaultDemoUsers(6).map(({ username, password }) => ({ username, password })),
        parameters: { id: { min: 2, max: 9 } },
        urls: [{ path: "/my/", name: "dashboard" }, { path: "/course/view.php?id={id}", name: "course" }],
      }),
    );
    // --request-timeout 20: the grace is min(timeout, 15 s), so the requests outlive it.
    const result = await runCli([
      "run",
      "--config",
      `${dir}/config.json`,
      "--rpm",
      "240",
      "--duration",
      "2",
      "--request-timeout",
      "20",
      "--progress",
      "1",
      "--stats-dir",
      `${dir}/stats`,
      "--request-log",
      `${dir}/requests.jsonl`,
      "--threshold",
      "error_rate<1%",
      "--seed",
      "3",
      "--json",
    ]);
    assert.equal(result.code, 99, result.stderr);
    assert.match(result.stderr, /Logged in 6\/6/);
    const json = [...Deno.readDirSync(`${dir}/stats`)].find((e) => e.name.endsWith(".json"))!.name;
    const summary = JSON.parse(await Deno.readTextFile(`${dir}/stats/${json}`));
    const [dashboard, course] = summary.endpoints;
    // Every request sent counts: the dashboards answered, every course page is an abandoned failure.
    assert.ok(course.total >= 1 && dashboard.total >= 1, JSON.stringify([dashboard.total, course.total]));
    assert.equal(summary.total, summary.sent);
    assert.equal(summary.abandoned, course.total);
    assert.equal(summary.failures, course.total);
    assert.equal(summary.errors.abandoned, course.total);
    assert.equal(course.failures, course.total);
    assert.equal(dashboard.failures, 0);
    assert.ok(summary.error_rate >= 0.01, `error_rate ${summary.error_rate}`);
    // Each course page waited at least the 15 s grace; the last (drain) interval holds them.
    assert.ok(course.latency_ms_p50 >= 15_000, `course p50 ${course.latency_ms_p50}`);
    assert.ok(summary.latency_ms_max >= 15_000, `max ${summary.latency_ms_max}`);
    assert.equal(summary.intervals.at(-1).errors.abandoned, course.total);
    const lines = (await Deno.readTextFile(`${dir}/requests.jsonl`)).trim().split("\n").map((l) =>
      JSON.parse(l)
    );
    assert.equal(lines.length, summary.sent + summary.warmup.total);
    const abandoned = lines.filter((line) => line.error === "abandoned" && line.ok === false);
    assert.equal(abandoned.length, course.total);
    await Deno.remove(dir, { recursive: true });
  });
});
