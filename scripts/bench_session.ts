/**
 * Cost of the protocol layer per request (figures, not a test): closed-loop GETs of a small HTML
 * page from a server in another process, through plain fetch, the transport, the session (cookie
 * jar, manual redirects, timeout) and MoodleUser.get (session-loss check, perf-footer scan).
 *
 *   deno run -A scripts/bench_session.ts [--seconds 2] [--rounds 3] [--concurrency 32] [--bytes 2048]
 */
import { parseArgs } from "node:util";
import process from "node:process";
import { createFetchTransport } from "../src/moodle/transport/fetch.ts";
import { HttpSession } from "../src/moodle/session.ts";
import { createMoodleUser } from "../src/moodle/user.ts";

const { values } = parseArgs({
  options: {
    seconds: { type: "string", default: "2" },
    rounds: { type: "string", default: "3" },
    concurrency: { type: "string", default: "32" },
    bytes: { type: "string", default: "2048" },
  },
});
const seconds = Number(values.seconds);
const concurrency = Number(values.concurrency);

const serverCode = `
const page = "<!DOCTYPE html><html><body>" + "x".repeat(${Number(values.bytes)}) + "</body></html>";
const s = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: ({ port }) => console.log(port) },
  () => new Response(page, { headers: { "content-type": "text/html; charset=utf-8" } }));
`;
const child = new Deno.Command(Deno.execPath(), {
  args: ["eval", serverCode],
  stdout: "piped",
  stderr: "inherit",
}).spawn();
const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
const port = Number((await reader.read()).value?.trim());
const url = `http://127.0.0.1:${port}/my/`;

const variants: { name: string; makeWorker: () => () => Promise<unknown> }[] = [];
const best = new Map<string, { rate: number; cpuUs: number }>();

function measure(name: string, makeWorker: () => () => Promise<unknown>) {
  variants.push({ name, makeWorker });
  return Promise.resolve();
}

async function run(name: string, makeWorker: () => () => Promise<unknown>) {
  const workers = Array.from({ length: concurrency }, makeWorker);
  // warm-up
  await Promise.all(workers.map(async (w) => {
    for (let i = 0; i < 50; i++) await w();
  }));
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  let count = 0;
  await Promise.all(workers.map(async (w) => {
    while (performance.now() < end) {
      await w();
      count++;
    }
  }));
  const elapsed = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const cpuUs = (cpu.user + cpu.system) / count;
  const previous = best.get(name);
  if (!previous || cpuUs < previous.cpuUs) best.set(name, { rate: count / elapsed, cpuUs });
}

const transport = createFetchTransport();
console.log(`target ${url}, ${values.bytes} B page, concurrency ${concurrency}, ${seconds} s each`);
await measure("fetch", () => async () => {
  const r = await fetch(url, { redirect: "manual" });
  await r.bytes();
});
await measure("transport.request", () => () => transport.request({ method: "GET", url }));
await measure("HttpSession.request", () => {
  const session = new HttpSession(transport);
  session.jar.setCookieSync("MoodleSession=abcdefghijklmnopqrstuvwxyz012345; path=/", url);
  return () => session.request(url, { timeoutMs: 30_000 });
});
await measure("HttpSession, no timeout", () => {
  const session = new HttpSession(transport);
  session.jar.setCookieSync("MoodleSession=abcdefghijklmnopqrstuvwxyz012345; path=/", url);
  return () => session.request(url);
});
await measure("fetch + timer per request", () => async () => {
  const c = new AbortController();
  const t = setTimeout(() => c.abort(), 30_000);
  const r = await fetch(url, { redirect: "manual", signal: c.signal });
  await r.bytes();
  clearTimeout(t);
});
const shared = new AbortController();
await measure("fetch + shared signal", () => async () => {
  const r = await fetch(url, { redirect: "manual", signal: shared.signal });
  await r.bytes();
});
await measure("MoodleUser.get", () => {
  const user = createMoodleUser({
    baseUrl: `http://127.0.0.1:${port}`,
    username: "u",
    password: "p",
    transport,
  });
  user.session.jar.setCookieSync("MoodleSession=abcdefghijklmnopqrstuvwxyz012345; path=/", url);
  return () => user.get(url);
});
const rounds = Number(values.rounds);
for (let round = 0; round < rounds; round++) {
  for (const variant of variants) await run(variant.name, variant.makeWorker);
}
console.log(`best of ${rounds} rounds (the machine may be shared: the lowest CPU per request is the cost)`);
for (const [name, figure] of best) {
  console.log(
    `${name.padEnd(24)} ${figure.rate.toFixed(0).padStart(7)} req/s  ${
      figure.cpuUs.toFixed(1).padStart(6)
    } µs CPU/req`,
  );
}
child.kill();
await child.status;
