/**
 * README's "try bench without a Moodle": scripts/demo_server.ts started as the docs say, its
 * --config-out file given to `moodle-load bench` as it is; the run directory and report come out.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { ROOT, runCli } from "./helpers/cli.ts";

Deno.test("scripts/demo_server.ts --config-out: bench runs against it with the written config, as documented", async () => {
  const dir = await Deno.makeTempDir({ prefix: "demo_server_script_" });
  const config = join(dir, "site.json");
  const server = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--quiet",
      "--allow-net=127.0.0.1",
      "--allow-read",
      `--allow-write=${config}`,
      join(ROOT, "scripts/demo_server.ts"),
      "--site-path",
      "/moodle",
      "--config-out",
      config,
    ],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  try {
    const reader = server.stdout.pipeThrough(new TextDecoderStream()).getReader();
    let banner = "";
    while (!banner.includes("Ctrl-C to stop.")) {
      const { value, done } = await reader.read();
      assert.ok(!done, `the server ended early: ${banner}`);
      banner += value;
    }
    reader.releaseLock();
    const url = /Demo Moodle at (http:\/\/127\.0\.0\.1:\d+\/moodle)\//.exec(banner)?.[1];
    assert.ok(url, banner);
    const written = JSON.parse(await Deno.readTextFile(config));
    assert.equal(written.base_url, url);
    assert.equal(written.users.length, 10, "the students only, not the flagged accounts");
    const bench = await runCli([
      "bench",
      "--config",
      config,
      "--rpm",
      "600",
      "--duration",
      "3",
      "--out",
      join(dir, "runs"),
      "--tag",
      "demo",
      "--quiet",
    ]);
    assert.equal(bench.code, 0, bench.stderr);
    const [run] = [...Deno.readDirSync(join(dir, "runs"))].map((e) => e.name);
    assert.match(run, /_demo$/);
    const files = [...Deno.readDirSync(join(dir, "runs", run))].map((e) => e.name);
    assert.ok(files.includes("report.html"), files.join(", "));
    const summaryName = files.find((f) => /^load_summary_.*\.json$/.test(f))!;
    const summary = JSON.parse(await Deno.readTextFile(join(dir, "runs", run, summaryName)));
    assert.equal(summary.login.logged_in, 10);
    assert.ok(
      summary.total >= 25 && summary.failures === 0,
      `${summary.total} requests, ${summary.failures} failed`,
    );
  } finally {
    server.kill("SIGINT");
    await server.status;
    await server.stderr.cancel();
    await server.stdout.cancel().catch(() => {});
    await Deno.remove(dir, { recursive: true });
  }
});
