/**
 * Which way of reading a response body is cheapest in Deno for a Moodle-sized page (200 KB)?
 * Serves the page on 127.0.0.1 and reads it N times, sequentially, with each method; prints wall
 * time and process CPU per request. `deno run -A scripts/bench_body_read.ts [requests] [kb]`
 */
import process from "node:process";

const requests = Number(Deno.args[0] ?? 3000);
const pageKb = Number(Deno.args[1] ?? 200);
const page = new TextEncoder().encode("<p>x</p>".repeat(pageKb * 128));
const server = Deno.serve(
  { hostname: "127.0.0.1", port: 0, onListen() {} },
  () => new Response(page, { headers: { "content-type": "text/html" } }),
);
const url = `http://127.0.0.1:${server.addr.port}/`;

type Method = (response: Response) => Promise<number>;

const methods: Record<string, Method> = {
  "getReader() loop": async (response) => {
    const reader = response.body!.getReader();
    let bytes = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return bytes;
      bytes += value.byteLength;
    }
  },
  "pipeTo(counting WritableStream)": async (response) => {
    let bytes = 0;
    await response.body!.pipeTo(
      new WritableStream({
        write(chunk) {
          bytes += chunk.byteLength;
        },
      }),
    );
    return bytes;
  },
  "for await (body)": async (response) => {
    let bytes = 0;
    for await (const chunk of response.body!) bytes += chunk.byteLength;
    return bytes;
  },
  "arrayBuffer()": async (response) => (await response.arrayBuffer()).byteLength,
  "bytes()": async (response) => (await response.bytes()).byteLength,
};

async function measure(name: string, method: Method): Promise<void> {
  for (let i = 0; i < 200; i++) await method(await fetch(url)); // warm-up
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let total = 0;
  for (let i = 0; i < requests; i++) total += await method(await fetch(url));
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  if (total !== requests * page.byteLength) throw new Error(`${name}: read ${total} bytes`);
  console.log(
    `${name.padEnd(34)} ${(wallMs * 1000 / requests).toFixed(0).padStart(5)} µs wall/req  ` +
      `${((cpu.user + cpu.system) / requests).toFixed(0).padStart(5)} µs CPU/req (server included)`,
  );
}

console.log(`${requests} sequential GETs of a ${pageKb} KB page, ${Deno.version.deno}`);
for (const round of [1, 2]) {
  console.log(`round ${round}`);
  for (const [name, method] of Object.entries(methods)) await measure(name, method);
}
await server.shutdown();
