/**
 * Benchmark: CPU of `moodle-load docker-stats` capturing 20 containers at 1 s for 60 s, as % of one
 * core (goal < 2 %). Starts a private dockerd (tests/helpers/docker.ts; root, docker.io and
 * busybox-static needed), runs 20 idle busybox containers, runs the CLI as a child and reads its
 * utime+stime from /proc/<pid>/stat: steady state (after a 10 s warm-up) and the whole run.
 *
 *   deno run -A scripts/bench_capture.ts [--containers 20] [--duration 60]
 */
import { parseArgs } from "node:util";
import { BUSYBOX_IMAGE, dockerAvailability, startPrivateDocker } from "../tests/helpers/docker.ts";
import { cliCommand } from "../tests/helpers/cli.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: { containers: { type: "string", default: "20" }, duration: { type: "string", default: "60" } },
});
const COUNT = Number(values.containers);
const DURATION = Number(values.duration);
const WARMUP_S = 10;
const TICKS_PER_SECOND = 100; // USER_HZ on Linux

/** utime + stime of a process, in seconds. */
function cpuSeconds(pid: number): number {
  const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}

const availability = await dockerAvailability();
if (!availability.ok) {
  console.error(`bench_capture: cannot run dockerd here (${availability.reason})`);
  Deno.exit(1);
}
const engine = await startPrivateDocker();
const outdir = await Deno.makeTempDir({ prefix: "mlt-bench-capture-" });
try {
  for (let i = 0; i < COUNT; i++) {
    await engine.must([
      "run",
      "-d",
      "--name",
      `c${String(i).padStart(2, "0")}`,
      BUSYBOX_IMAGE,
      "sleep",
      "3600",
    ]);
  }
  const child = cliCommand([
    "docker-stats",
    "--docker-host",
    engine.host,
    "--all",
    "--interval",
    "1",
    "--duration",
    String(DURATION),
    "--print-interval",
    "5",
    "--out",
    outdir,
  ], { flags: engine.flags(outdir) }).spawn();
  const started = performance.now();
  await new Promise((r) => setTimeout(r, WARMUP_S * 1000));
  const warmCpu = cpuSeconds(child.pid);
  const warmAt = performance.now();
  let lastCpu = warmCpu;
  let lastAt = warmAt;
  const poll = setInterval(() => {
    try {
      lastCpu = cpuSeconds(child.pid);
      lastAt = performance.now();
    } catch { /* exited */ }
  }, 500);
  const output = await child.output();
  clearInterval(poll);
  if (output.code !== 0) throw new Error(`docker-stats failed: ${new TextDecoder().decode(output.stderr)}`);

  let rows = 0;
  for await (const entry of Deno.readDir(outdir)) {
    rows += (await Deno.readTextFile(`${outdir}/${entry.name}`)).trim().split("\n").length - 1;
  }
  const steady = ((lastCpu - warmCpu) / ((lastAt - warmAt) / 1000)) * 100;
  const whole = (lastCpu / ((lastAt - started) / 1000)) * 100;
  console.log(`bench_capture: ${COUNT} containers, --interval 1, --duration ${DURATION}s, ${rows} CSV rows`);
  console.log(
    `  capture process CPU, steady state (after ${WARMUP_S}s): ${
      steady.toFixed(2)
    } % of one core (goal < 2 %)`,
  );
  console.log(`  capture process CPU, whole run incl. startup:   ${whole.toFixed(2)} % of one core`);
  console.log(`  CPU seconds: ${lastCpu.toFixed(2)} in ${((lastAt - started) / 1000).toFixed(1)} s`);
} finally {
  await engine.stop();
  await Deno.remove(outdir, { recursive: true }).catch(() => {});
}
