/**
 * Run the Moodle-faithful demo server on its own, for manual poking with a browser or curl:
 *
 *   deno run --allow-net=127.0.0.1 --allow-read --allow-write=site.json scripts/demo_server.ts
 *     [--site-path /moodle] [--port 8080] [--latency-ms 50] [--page-bytes 150000] [--error-rate 0.01]
 *     [--slow-rate 0.01] [--session-ttl 60] [--lockout 5] [--no-perfdebug] [--cert cert.pem --key key.pem]
 *     [--users 10] [--config-out site.json]
 *
 * Users are student01…studentNN with password Demo-pass-1, plus flagged accounts
 * forced/incomplete/nopolicy/visitor/suspended (same password). `--config-out FILE` writes a config for
 * this site (its URL and the studentNN users) that `moodle-load run` / `bench` take as it is. Ctrl-C stops it.
 */
import { parseArgs } from "node:util";
import {
  DEFAULT_DEMO_PASSWORD,
  defaultDemoUsers,
  demoRunConfig,
  type DemoUserSpec,
  startDemoServer,
} from "../src/demo/mod.ts";

const { values } = parseArgs({
  options: {
    "site-path": { type: "string", default: "" },
    port: { type: "string", default: "0" },
    "latency-ms": { type: "string", default: "0" },
    "page-bytes": { type: "string", default: "150000" },
    "error-rate": { type: "string", default: "0" },
    "slow-rate": { type: "string", default: "0" },
    "session-ttl": { type: "string", default: "28800" },
    lockout: { type: "string", default: "0" },
    "no-perfdebug": { type: "boolean", default: false },
    cert: { type: "string" },
    key: { type: "string" },
    users: { type: "string", default: "10" },
    seed: { type: "string", default: "1" },
    "config-out": { type: "string" },
  },
});

const flagged: DemoUserSpec[] = [
  { username: "forced", password: DEFAULT_DEMO_PASSWORD, forcePasswordChange: true },
  { username: "incomplete", password: DEFAULT_DEMO_PASSWORD, profileIncomplete: true },
  { username: "nopolicy", password: DEFAULT_DEMO_PASSWORD, policyNotAccepted: true },
  { username: "visitor", password: DEFAULT_DEMO_PASSWORD, notEnrolled: true },
  { username: "suspended", password: DEFAULT_DEMO_PASSWORD, suspended: true },
];

const students = defaultDemoUsers(Number(values.users));
const demo = await startDemoServer({
  sitePath: values["site-path"],
  port: Number(values.port),
  latencyMs: Number(values["latency-ms"]),
  pageBytes: Number(values["page-bytes"]),
  errorRate: Number(values["error-rate"]),
  slowRate: Number(values["slow-rate"]),
  sessionTtlSec: Number(values["session-ttl"]),
  lockoutThreshold: Number(values.lockout),
  perfdebug: !values["no-perfdebug"],
  seed: Number(values.seed),
  users: [...students, ...flagged],
  tls: values.cert && values.key
    ? { cert: await Deno.readTextFile(values.cert), key: await Deno.readTextFile(values.key) }
    : undefined,
});

console.log(`Demo Moodle at ${demo.url}/  (login page ${demo.url}${demo.loginPath})`);
console.log(
  `Users: student01… and forced/incomplete/nopolicy/visitor/suspended, password ${DEFAULT_DEMO_PASSWORD}`,
);
const configOut = values["config-out"];
if (configOut) {
  // Only the students: the flagged accounts cannot finish a login, on purpose.
  const config = demoRunConfig({ url: demo.url, users: students });
  await Deno.writeTextFile(configOut, JSON.stringify(config, null, 2) + "\n", { mode: 0o600 });
  console.log(`Config for moodle-load run/bench: ${configOut}`);
}
console.log("Ctrl-C to stop.");
Deno.addSignalListener("SIGINT", async () => {
  console.log(JSON.stringify(demo.counters.snapshot()));
  await demo.close();
  Deno.exit(0);
});
