/**
 * The load engine's benchmark (figures, not tests). A fast local target (a 2 KB static page from a
 * Deno server in its own process, pinned to the second core when `taskset` exists) and, for each
 * rate, the real engine with plain-fetch users in a fresh process pinned to the first core: achieved
 * rate, rate error, not_sent, CPU µs per request, RSS, scheduler lateness, latency added by the
 * generator. Then the closed-loop maximum of plain `fetch` (the ceiling) and wrk/hey/autocannon
 * when installed.
 *
 * Users = concurrency = 64, as the closed loop's 64 connections.
 * Flags / env: `--quick` (or BENCH_QUICK=1) = 3 s per rate; BENCH_SECONDS=N; BENCH_RATES=1000,5000;
 * BENCH_SOAK=600 adds a soak run (BENCH_SOAK_RPS, default 10000) of that many seconds, RSS every 30 s.
 */
const here = new URL(".", import.meta.url).pathname;
const quick = Deno.args.includes("--quick") || Deno.env.get("BENCH_QUICK") === "1";
const seconds = Number(Deno.env.get("BENCH_SECONDS") ?? (quick ? 3 : 15));
const rates = (Deno.env.get("BENCH_RATES") ?? "1000,5000,10000,20000,30000").split(",").map(Number);
const soak = Number(Deno.env.get("BENCH_SOAK") ?? 0);
const soakRps = Number(Deno.env.get("BENCH_SOAK_RPS") ?? 10000);

function which(tool: string): string | undefined {
  for (const dir of (Deno.env.get("PATH") ?? "").split(":")) {
    try {
      const path = `${dir}/${tool}`;
      if (Deno.statSync(path).isFile) return path;
    } catch { /* not here */ }
  }
  return undefined;
}

const taskset = which("taskset");
const cores = navigator.hardwareConcurrency;
const pin = (core: number, args: string[]): [string, string[]] =>
  taskset && cores > 1 ? [taskset, ["-c", String(core), ...args]] : [args[0], args.slice(1)];

/** Run bench_load_worker.ts in `mode` with `--flag value` for each of `flags` (in order); its last line is JSON. */
async function runWorker(
  mode: "engine" | "closed" | "paced",
  flags: Record<string, string | number>,
): Promise<Record<string, number & number[]>> {
  const args = [`${here}bench_load_worker.ts`, "--mode", mode];
  for (const [flag, value] of Object.entries(flags)) args.push(`--${flag}`, String(value));
  const [cmd, rest] = pin(0, [Deno.execPath(), "run", "--allow-all", ...args]);
  const output = await new Deno.Command(cmd, { args: rest, stdout: "piped", stderr: "inherit" }).output();
  const text = new TextDecoder().decode(output.stdout).trim().split("\n").at(-1) ?? "";
  if (!output.success) throw new Error(`worker failed: ${text}`);
  return JSON.parse(text);
}

// The target, in its own process on the other core.
const [targetCmd, targetArgs] = pin(1, [
  Deno.execPath(),
  "run",
  "--allow-net",
  `${here}bench_load_target.ts`,
]);
const target = new Deno.Command(targetCmd, { args: targetArgs, stdout: "piped", stderr: "inherit" }).spawn();
const reader = target.stdout.getReader();
const { value } = await reader.read();
const port = Number(new TextDecoder().decode(value).trim());
reader.releaseLock();
const url = `http://127.0.0.1:${port}/`;

/** The machine's 1-minute load average: figures taken on a busy machine are not comparable. */
function loadAverage(): string {
  try {
    return Deno.readTextFileSync("/proc/loadavg").split(" ")[0];
  } catch {
    return "?";
  }
}

const f = (n: number, digits = 1) => Number.isFinite(n) ? n.toFixed(digits) : "-";
const pad = (cells: (string | number)[], widths: number[]) =>
  cells.map((c, i) => String(c).padStart(widths[i])).join("  ");

try {
  console.log(
    `machine: ${cores} cores, ${Deno.build.os}/${Deno.build.arch}, Deno ${Deno.version.deno}; ` +
      `target ${url} (2 KB page)${taskset && cores > 1 ? "; generator on core 0, target on core 1" : ""}; ` +
      `${seconds} s per rate; ${new Date().toISOString()}; load average ${loadAverage()}`,
  );
  const alone = await runWorker("engine", { seconds });
  console.log(
    `engine alone (instant in-process users, 50k req/s): ${f(alone.cpu_us_per_request, 2)} µs CPU/request, ` +
      `not_sent ${alone.not_sent}, lateness p99 ${f(alone.lateness_ms_p99, 2)} ms`,
  );
  const ceiling = await runWorker("closed", { url, seconds });
  console.log(
    `closed-loop plain fetch (64 loops, the ceiling): ${f(ceiling.rps, 0)} req/s, ` +
      `${f(ceiling.cpu_us_per_request)} µs CPU/request, RSS ${f(ceiling.rss_mb)} MB`,
  );
  const widths = [8, 9, 8, 9, 8, 9, 7, 9, 9, 11, 10];
  console.log(pad([
    "target",
    "achieved",
    "error %",
    "not_sent",
    "CPU µs",
    "vs fetch",
    "RSS MB",
    "late p50",
    "late p99",
    "latency p99",
    "svc p99",
  ], widths));
  for (const rps of rates) {
    const r = await runWorker("paced", { url, rps, seconds });
    console.log(pad([
      rps,
      f(r.achieved_rps, 0),
      f(r.rate_error_pct, 2),
      `${r.not_sent}`,
      f(r.cpu_us_per_request),
      `${f(r.cpu_us_per_request / ceiling.cpu_us_per_request, 2)}x`,
      f(r.rss_mb, 0),
      f(r.lateness_ms_p50, 2),
      f(r.lateness_ms_p99, 2),
      f(r.latency_ms_p99, 2),
      f(r.service_ms_p99, 2),
    ], widths));
  }
  console.log(`load average after the paced runs: ${loadAverage()}`);
  console.log(
    "(achieved = sent / elapsed; error % = 1 − sent/intended; late = actual send − intended start;",
  );
  console.log(" latency = answer − intended start: the generator-added latency against this fast target)");
  for (const tool of ["wrk", "hey", "autocannon"]) {
    const path = which(tool);
    if (!path) {
      console.log(`${tool}: not installed (no ratio)`);
      continue;
    }
    const args = tool === "wrk"
      ? ["-t1", "-c64", `-d${seconds}s`, url]
      : tool === "hey"
      ? ["-c", "64", "-z", `${seconds}s`, url]
      : ["-c", "64", "-d", String(seconds), url];
    const [cmd, rest] = pin(0, [path, ...args]);
    const out = new TextDecoder().decode(
      (await new Deno.Command(cmd, { args: rest, stdout: "piped", stderr: "piped" }).output()).stdout,
    );
    const match = /Requests\/sec:\s*([\d.]+)/.exec(out) ?? /([\d.]+)\s+requests? in/.exec(out);
    const toolRps = match ? Number(match[1]) : NaN;
    console.log(
      `${tool} closed-loop: ${f(toolRps, 0)} req/s; plain fetch ceiling / ${tool} = ${
        f(ceiling.rps / toolRps, 2)
      }`,
    );
  }
  if (soak > 0) {
    const r = await runWorker("paced", { url, rps: soakRps, seconds: soak, "rss-every": "30" });
    const series = r.rss_series_mb as number[];
    const steady = series.slice(1);
    const third = Math.max(1, Math.floor(steady.length / 3));
    const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
    const trend = (mean(steady.slice(-third)) / mean(steady.slice(0, third)) - 1) * 100;
    const range = (Math.max(...steady) - Math.min(...steady)) / mean(steady) * 100;
    console.log(
      `soak ${soakRps} rps × ${soak} s: RSS every 30 s (MB): ${series.map((v) => f(v, 0)).join(" ")}`,
    );
    console.log(
      `  RSS last third vs first third: ${trend >= 0 ? "+" : ""}${f(trend)} %; range ${
        f(range)
      } % of the mean; ` +
        `not_sent ${r.not_sent}`,
    );
  }
} finally {
  target.kill("SIGTERM");
  await target.status;
}
