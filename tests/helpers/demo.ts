/** Start the demo Moodle server for one test and always close it. */
import { type DemoServer, startDemoServer } from "../../src/demo/mod.ts";
import type { DemoOptions } from "../../src/demo/mod.ts";

export async function withDemo(options: DemoOptions, fn: (demo: DemoServer) => Promise<void>): Promise<void> {
  const demo = await startDemoServer(options);
  try {
    await fn(demo);
  } finally {
    await demo.close();
  }
}

/** A port nothing listens on (bound, then released). */
export function closedPort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}
