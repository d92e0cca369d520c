/** src/util/stop_signals.ts with real signals sent to a real child process. */
import assert from "node:assert/strict";
import { waitFor } from "./helpers/processes.ts";

const MODULE = new URL("../src/util/stop_signals.ts", import.meta.url).href;

/** A child that registers stop handlers, prints "ready", and then runs until something exits it. */
function child(body: string) {
  const script = `import { onStopSignals } from "${MODULE}";\n${body}\n` +
    `console.log("ready");\nsetInterval(() => {}, 1000);\n`;
  const process = new Deno.Command(Deno.execPath(), {
    args: ["eval", "--quiet", script],
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
  }).spawn();
  let out = "";
  let err = "";
  const reading = Promise.all([
    (async () => {
      for await (const text of process.stdout.pipeThrough(new TextDecoderStream())) out += text;
    })(),
    (async () => {
      for await (const text of process.stderr.pipeThrough(new TextDecoderStream())) err += text;
    })(),
  ]);
  return {
    process,
    out: () => out,
    done: async () => {
      const status = await process.status;
      await reading;
      return { status, out, err };
    },
  };
}

Deno.test("onStopSignals: first signal → first(); a second → exit at once with the first signal's code", async () => {
  const c = child(`onStopSignals({ first: (s) => console.log("first " + s) });`);
  await waitFor("ready", () => c.out().includes("ready"), 20_000);
  c.process.kill("SIGTERM");
  await waitFor("the first handler", () => c.out().includes("first SIGTERM"), 5_000);
  c.process.kill("SIGINT");
  const { status, err } = await c.done();
  assert.equal(status.code, 143, "the first signal's code");
  assert.equal(status.signal, null, "it exited, it was not killed");
  assert.equal(err.trim().split("\n").length, 1, err);
  assert.match(err, /SIGINT again while stopping after SIGTERM — exiting now/);
});

Deno.test("onStopSignals: a custom second handler gets the second signal; the disposer removes the listeners", async () => {
  const c = child(
    `const dispose = onStopSignals({ first: (s) => console.log("first " + s), second: (s) => { ` +
      `console.log("second " + s); dispose(); } });`,
  );
  await waitFor("ready", () => c.out().includes("ready"), 20_000);
  c.process.kill("SIGHUP");
  await waitFor("first", () => c.out().includes("first SIGHUP"), 5_000);
  c.process.kill("SIGTERM");
  await waitFor("second", () => c.out().includes("second SIGTERM"), 5_000);
  c.process.kill("SIGHUP"); // no listener any more: the default action ends the process
  const { status } = await c.done();
  assert.equal(status.signal, "SIGHUP");
});
