import assert from "node:assert/strict";
import { type BenchWork, orchestrateBench } from "../src/bench/orchestrate.ts";
import { redactArgv, redactText, runDirName, type StepRecord } from "../src/bench/manifest.ts";

interface Trace {
  events: string[];
  manifests: { steps: StepRecord[]; failed?: string }[];
}

function work(overrides: Partial<BenchWork<string>> = {}, trace: Trace = { events: [], manifests: [] }) {
  const captureTask = (name: string) => ({
    name,
    run: (signal: AbortSignal) =>
      new Promise<void>((resolve) => {
        trace.events.push(`${name} started`);
        signal.addEventListener("abort", () => {
          trace.events.push(`${name} stopped`);
          resolve();
        });
      }),
  });
  const base: BenchWork<string> = {
    restore: () => {
      trace.events.push("restore");
      return Promise.resolve();
    },
    captures: [captureTask("docker"), captureTask("pg")],
    load: () => {
      trace.events.push("load");
      return Promise.resolve("summary");
    },
    measured: () => Promise.resolve(trace.events.includes("load")),
    writeManifest: (steps, failed) => {
      trace.events.push("manifest");
      trace.manifests.push({ steps: structuredClone(steps), failed });
      return Promise.resolve();
    },
    report: () => {
      trace.events.push("report");
      return Promise.resolve("report.html");
    },
    log: () => {},
    captureStartMs: 20,
    captureStopMs: 500,
  };
  return { work: { ...base, ...overrides }, trace };
}

Deno.test("bench steps run in order: restore → capture → load → stop capture → manifest → report", async () => {
  const { work: w, trace } = work();
  const outcome = await orchestrateBench(w);
  assert.equal(outcome.failedStep, undefined);
  assert.deepEqual(trace.events, [
    "restore",
    "docker started",
    "pg started",
    "load",
    "docker stopped",
    "pg stopped",
    "manifest",
    "report",
    "manifest",
  ]);
  assert.deepEqual(outcome.steps.map((s) => `${s.name}:${s.status}`), [
    "restore:ok",
    "capture start:ok",
    "load:ok",
    "capture stop:ok",
    "manifest:ok",
    "report:ok",
  ]);
  assert.equal(outcome.reportPath, "report.html");
  assert.equal(outcome.summary, "summary");
});

Deno.test("a failed restore stops the rest; the manifest says which step failed", async () => {
  const { work: w, trace } = work({ restore: () => Promise.reject(new Error("dump not found")) });
  const outcome = await orchestrateBench(w);
  assert.equal(outcome.failedStep, "restore");
  assert.ok(!trace.events.includes("load"));
  assert.ok(!trace.events.some((e) => e.endsWith("started")));
  assert.ok(!trace.events.includes("report"), "nothing measured, no report");
  assert.equal(trace.manifests.at(-1)!.failed, "restore");
  assert.equal(trace.manifests.at(-1)!.steps.find((s) => s.name === "load")!.status, "skipped");
  assert.match(trace.manifests.at(-1)!.steps[0].error!, /dump not found/);
});

Deno.test("a capture that cannot start stops the bench before the load, and the others are stopped", async () => {
  const { work: w, trace } = work();
  w.captures = [
    w.captures[1],
    { name: "docker", run: () => Promise.reject(new Error("unknown container moodle-wbe")) },
  ];
  const outcome = await orchestrateBench(w);
  assert.equal(outcome.failedStep, "capture start");
  assert.match(String((outcome.error as Error).message), /docker: unknown container/);
  assert.ok(!trace.events.includes("load"));
  assert.ok(trace.events.includes("pg stopped"), "the capture that did start is stopped");
});

Deno.test("a failed load still stops capture, writes the manifest, and reports what was measured", async () => {
  const { work: w, trace } = work();
  w.load = () => {
    trace.events.push("load");
    return Promise.reject(new Error("interrupted"));
  };
  const outcome = await orchestrateBench(w);
  assert.equal(outcome.failedStep, "load");
  assert.ok(trace.events.includes("docker stopped") && trace.events.includes("pg stopped"));
  assert.ok(trace.events.includes("report"), "the summary was written before the failure: report it");
  assert.equal(trace.manifests.at(-1)!.failed, "load");
});

Deno.test("a capture breaking mid-run marks the capture step failed after the load", async () => {
  const { work: w } = work();
  let fail: (e: Error) => void = () => {};
  w.captures = [{ name: "docker", run: () => new Promise<void>((_, reject) => (fail = reject)) }];
  w.load = () => {
    fail(new Error("daemon went away"));
    return Promise.resolve("summary");
  };
  w.measured = () => Promise.resolve(true);
  const outcome = await orchestrateBench(w);
  assert.equal(outcome.failedStep, "capture stop");
  assert.match(
    outcome.steps.find((s) => s.name === "capture stop")!.error!,
    /docker broke during the run: daemon went away/,
  );
  assert.equal(outcome.reportPath, "report.html");
});

Deno.test("secrets never reach the manifest's command line", () => {
  assert.deepEqual(
    redactArgv([
      "bench",
      "--db-url",
      "postgres://moodle:s3cret@db:5432/moodle",
      "--password",
      "hunter2",
      "--db-password=x",
      "--prepare",
      "DB_PASSWORD=abc ./deploy.sh --token t0k",
      "--tag",
      "main",
    ]),
    [
      "bench",
      "--db-url",
      "postgres://moodle:***@db:5432/moodle",
      "--password",
      "***",
      "--db-password=***",
      "--prepare",
      "DB_PASSWORD=*** ./deploy.sh --token t0k",
      "--tag",
      "main",
    ],
  );
  assert.equal(redactText("https://user:pw@moodle.example.org/x"), "https://user:***@moodle.example.org/x");
  assert.equal(redactText("PGPASSWORD='a b' pg_restore"), "PGPASSWORD=*** pg_restore");
  assert.equal(
    runDirName(new Date("2026-11-21T05:00:00.123Z"), "feature/x y"),
    "20261121T050000Z_feature-x-y",
  );
});
