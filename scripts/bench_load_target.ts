/** The fast local target of bench_load.ts: one small static page (2 KB), printed port on stdout. */
const page = new TextEncoder().encode("<!DOCTYPE html><html><body>" + "x".repeat(2000) + "</body></html>");
const headers = { "content-type": "text/html; charset=utf-8" };
const server = Deno.serve(
  { hostname: "127.0.0.1", port: 0, onListen: () => {} },
  () => new Response(page, { headers }),
);
console.log(server.addr.port);
