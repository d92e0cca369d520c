/**
 * Stop signals through the real CLI: SIGTERM (a CI timeout) and SIGHUP take Ctrl-C's path (drain,
 * write every file, one line, 143 / 129), a second signal leaves at once saying what was written,
 * `demo` removes its temporary config, and a stop during the login phase does not wait for logins.
 */
import assert from "node:assert/strict";
import { cliCommand } from "./helpers/cli.ts";
import { withDemo } from "./helpers/demo.ts";
import { defaultDemoUsers } from "../src/demo/mod.ts";
import { demoRunConfig } from "../src/demo/config.ts";
import type { StopSignal } from "../src/util/stop_signals.ts";

const decoder = new TextDecoder();
const SUMMARY = /^load_summary_\d{8}T\d{6}Z(?:-\d+)?\.json$/;

async function configDir(url: string, users: number): Promise<{ dir: string; config: string }> {
  const dir = await Deno.makeTempDir({ prefix: "moodle_load_signals_" });
  const config = `${dir}/config.json`;
  await Deno.writeTextFile(config, JSON.stringify(demoRunConfig({ url, users: defaultDemoUsers(users) })));
  return { dir, config };
}

/** Wait (up to 30 s) until `dir` holds a file whose name starts with `prefix`. */
async function waitForFile(dir: string, prefix: string): Promise<void> {
  const started = Date.now();
  while (Date.now() - started < 30_000) {
    const entries = (() => {
      try {
        return [...Deno.readDirSync(dir)];
      } catch {
        return []; // not created yet
      }
    })();
    if (entries.some((e) => e.name.startsWith(prefix))) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no ${prefix}* in ${dir} after 30 s`);
}

/** The child's stdout and stderr as they come; `until(text)` waits (up to 30 s) for `text` on stdout. */
function watch(child: Deno.ChildProcess) {
  const text = { stdout: "", stderr: "" };
  const pump = async (stream: ReadableStream<Uint8Array>, key: "stdout" | "stderr") => {
    for await (const chunk of stream) text[key] += decoder.decode(chunk, { stream: true });
  };
  const done = Promise.all([pump(child.stdout, "stdout"), pump(child.stderr, "stderr")]);
  return {
    text,
    async until(wanted: string): Promise<void> {
      const started = Date.now();
      while (!text.stdout.includes(wanted)) {
        if (Date.now() - started > 30_000) throw new Error(`no "${wanted}" on stdout: ${text.stdout}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async end(): Promise<{ code: number; stdout: string; stderr: string }> {
      const [status] = await Promise.all([child.status, done]);
      return { code: status.code, ...text };
    },
  };
}

function names(dir: string): string[] {
  return [...Deno.readDirSync(dir)].map((e) => e.name).sort();
}

for (const [signal, code] of [["SIGTERM", 143], ["SIGHUP", 129]] as [StopSignal, number][]) {
  Deno.test(`${signal} to a running \`run\`: drains, writes every file, one line, exit ${code}`, async () => {
    await withDemo({ users: defaultDemoUsers(4), pageBytes: 5_000 }, async (demo) => {
      const { dir, config } = await configDir(demo.url, 4);
      const args = ["run", "--config", config, "--rpm", "600", "--duration", "120", "--progress", "1"];
      const child = cliCommand([...args, "--stats-dir", `${dir}/stats`]).spawn();
      await waitForFile(`${dir}/stats`, "load_progress");
      await new Promise((r) => setTimeout(r, 2000));
      child.kill(signal);
      const output = await child.output();
      const stderr = decoder.decode(output.stderr);
      assert.equal(output.code, code, stderr);
      assert.match(
        stderr.trim(),
        new RegExp(`^moodle-load: interrupted by ${signal} — the files hold what was measured`),
      );
      assert.equal(stderr.trim().split("\n").length, 1, stderr);
      const stdout = decoder.decode(output.stdout);
      assert.match(stdout, new RegExp(`${signal}: stopping — no new requests`));
      const files = names(`${dir}/stats`);
      assert.equal(
        files.filter((f) => /^load_(progress|summary|endpoints)_/.test(f)).length,
        4,
        files.join(" "),
      );
      const summary = JSON.parse(Deno.readTextFileSync(`${dir}/stats/${files.find((f) => SUMMARY.test(f))}`));
      assert.equal(summary.interrupted, true);
      assert.ok(summary.total > 0, "something was measured");
      assert.equal(
        JSON.parse(stdout.trim().split("\n").at(-1)!).total,
        summary.total,
        "JSON summary on stdout",
      );
      await Deno.remove(dir, { recursive: true });
    });
  });
}

Deno.test("a second SIGTERM during the drain exits at once, saying what was and was not written", async () => {
  const slow = 6_000;
  const latencyByPath = { "/course/view.php": slow, "/mod/page/view.php": slow, "/mod/forum/view.php": slow };
  await withDemo({ users: defaultDemoUsers(4), pageBytes: 5_000, latencyByPath }, async (demo) => {
    const { dir, config } = await configDir(demo.url, 4);
    const args = ["run", "--config", config, "--rpm", "600", "--duration", "120", "--progress", "1"];
    const child = cliCommand([...args, "--stats-dir", dir]).spawn();
    await waitForFile(dir, "load_progress");
    await new Promise((r) => setTimeout(r, 1500));
    child.kill("SIGTERM");
    await new Promise((r) => setTimeout(r, 700));
    const second = Date.now();
    child.kill("SIGTERM");
    const output = await child.output();
    const seconds = (Date.now() - second) / 1000;
    const stderr = decoder.decode(output.stderr);
    assert.equal(output.code, 143, stderr);
    assert.ok(seconds < 5, `exited ${seconds} s after the second signal`);
    assert.match(
      stderr,
      /stopped again, at once — written: \S+load_progress_\S+\.csv; not written: \S+load_summary_/,
    );
    assert.ok(!names(dir).some((f) => SUMMARY.test(f)), "no summary was written");
    await Deno.remove(dir, { recursive: true });
  });
});

Deno.test("SIGTERM to `demo`: files written, exit 143, the temporary config (with passwords) removed", async () => {
  const dir = await Deno.makeTempDir({ prefix: "moodle_load_signals_" });
  const child = cliCommand(["demo", "--duration", "120", "--progress", "1", "--stats-dir", `${dir}/stats`], {
    cwd: dir,
  }).spawn();
  await waitForFile(`${dir}/stats`, "load_progress");
  await new Promise((r) => setTimeout(r, 1500));
  child.kill("SIGTERM");
  const output = await child.output();
  const stdout = decoder.decode(output.stdout);
  const stderr = decoder.decode(output.stderr);
  assert.equal(output.code, 143, stderr);
  const config = /removed at the end: (\S+config\.json)/.exec(stdout)?.[1];
  assert.ok(config, stdout);
  assert.ok(!(await Deno.stat(config).then(() => true, () => false)), `${config} is left behind`);
  assert.ok(names(`${dir}/stats`).some((f) => SUMMARY.test(f)), "summary written");
  await Deno.remove(dir, { recursive: true });
});

Deno.test("Ctrl-C during the login phase against a site that never answers: exit 130 at once, one line", async () => {
  // Accepts connections, never answers: every login would wait for its timeout and retry.
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const held: Deno.Conn[] = [];
  const accepting = (async () => {
    for await (const conn of listener) held.push(conn);
  })().catch(() => {});
  const { dir, config } = await configDir(`http://127.0.0.1:${listener.addr.port}`, 10);
  try {
    const child = cliCommand([
      "run",
      "--config",
      config,
      "--rpm",
      "60",
      "--duration",
      "30",
      "--stats-dir",
      dir,
    ])
      .spawn();
    const output = watch(child);
    // One second into the login phase (the process itself may take longer than that to start).
    await output.until("Logging in 10 users");
    await new Promise((r) => setTimeout(r, 1000));
    const sent = Date.now();
    child.kill("SIGINT");
    const timeout = setTimeout(() => child.kill("SIGKILL"), 20_000);
    const { code, stderr } = await output.end();
    clearTimeout(timeout);
    const seconds = (Date.now() - sent) / 1000;
    assert.equal(code, 130, stderr);
    assert.ok(seconds < 5, `took ${seconds} s after SIGINT`);
    assert.match(
      stderr.trim(),
      /^moodle-load: interrupted by Ctrl-C \(SIGINT\) during the login phase, before measuring/,
    );
    assert.equal(stderr.trim().split("\n").length, 1, stderr);
    assert.deepEqual(names(dir).filter((f) => f.startsWith("load_")), [], "no file written");
  } finally {
    listener.close();
    held.forEach((conn) => conn.close());
    await accepting;
    await Deno.remove(dir, { recursive: true });
  }
});
