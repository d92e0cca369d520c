/**
 * The CI examples are documentation people copy: no runner here runs them, so this test reads them and
 * checks the wiring — the gate's steps in order, flags that exist, and the same bench settings twice.
 */
import assert from "node:assert/strict";
import { parse } from "yaml";
import { runCli } from "./helpers/cli.ts";

const WORKFLOW = new URL("../.github/workflows/regression-example.yml", import.meta.url);

interface Step {
  name?: string;
  run?: string;
  uses?: string;
  if?: string;
}

Deno.test("regression workflow example: snapshot → bench base → bench candidate → compare --fail-on → upload", async () => {
  const doc = parse(await Deno.readTextFile(WORKFLOW));
  assert.ok("workflow_dispatch" in doc.on, "started by hand only: it needs a staging site");
  const steps: Step[] = doc.jobs.gate.steps;
  const index = (pattern: RegExp) => steps.findIndex((s) => pattern.test(s.run ?? s.uses ?? ""));
  const order = [
    index(/db snapshot --out base\.dump/),
    index(/bench \$BENCH .*--tag base/),
    index(/bench \$BENCH .*--tag candidate/),
    index(/compare runs\/\*_base runs\/\*_candidate .*--fail-on/),
    index(/actions\/upload-artifact/),
  ];
  assert.ok(order.every((i) => i >= 0), `every step present: ${order}`);
  assert.deepEqual([...order].sort((a, b) => a - b), order, "in this order");
  assert.equal(steps[order[4]].if, "always()", "the runs are uploaded even when the gate fails");
  assert.match(doc.env.BENCH, /--restore base\.dump/);
  assert.match(doc.env.BENCH, /--seed \d+/);
});

Deno.test("regression workflow example: every flag it passes exists (bench, db snapshot, compare)", async () => {
  const doc = parse(await Deno.readTextFile(WORKFLOW));
  const flagsOf = (text: string) => [...text.matchAll(/\s(--[a-z][a-z-]*)/g)].map((m) => m[1]);
  const runs: string = doc.jobs.gate.steps.map((s: Step) => s.run ?? "").join("\n") + " " + doc.env.BENCH;
  const help = {
    bench: (await runCli(["bench", "--help"])).stdout,
    snapshot: (await runCli(["db", "snapshot", "--help"])).stdout,
    compare: (await runCli(["compare", "--help"])).stdout,
  };
  for (const flag of new Set(flagsOf(runs))) {
    assert.ok(Object.values(help).some((text) => text.includes(flag)), `${flag} is a flag of the tool`);
  }
});
