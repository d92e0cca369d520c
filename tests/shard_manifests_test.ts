/**
 * The files users run shards with (deploy/k8s, docs/examples) are parsed and their wiring checked:
 * shard index and count agree, every shard gets the same --start-at, results reach the merge step,
 * and every flag they pass is one the CLI has.
 */
import assert from "node:assert/strict";
import { parse, parseAllDocuments } from "yaml";
import { ROOT } from "./helpers/cli.ts";
import { runCommand } from "../src/cli/run.ts";
import { mergeCommand } from "../src/cli/merge.ts";

// YAML documents are walked by key; their shape is what the assertions check.
// deno-lint-ignore no-explicit-any
type Doc = Record<string, any>;

function flagsOf(text: string): string[] {
  return [...text.matchAll(/(?:^|\s)(--[a-z-]+)/g)].map((m) => m[1]);
}

function assertKnownFlags(text: string, command: () => { options: readonly { long?: string }[] }): void {
  const known = new Set(command().options.map((o) => o.long));
  for (const flag of flagsOf(text)) assert.ok(known.has(flag), `unknown flag ${flag} in: ${text}`);
}

function valueAfter(args: readonly string[], flag: string): string {
  const at = args.indexOf(flag);
  assert.ok(at >= 0, `${flag} missing in ${args.join(" ")}`);
  return args[at + 1];
}

Deno.test("Kubernetes: an Indexed Job of N shards (--shard auto, one --start-at) and a merge Job of all N", () => {
  const docs = parseAllDocuments(Deno.readTextFileSync(`${ROOT}deploy/k8s/moodle-load-shards.yaml`))
    .map((d) => d.toJS() as Doc);
  const jobs = docs.filter((d) => d.kind === "Job");
  const shards = jobs.find((j) => j.spec.completionMode === "Indexed")!;
  const merge = jobs.find((j) => j !== shards)!;
  assert.ok(shards && merge);
  const n = shards.spec.completions;
  assert.equal(shards.spec.parallelism, n, "all shards run at once");
  const container = shards.spec.template.spec.containers[0];
  const env = Object.fromEntries(container.env.map((e: Doc) => [e.name, e]));
  assert.equal(Number(env.MOODLE_LOAD_SHARDS.value), n, "MOODLE_LOAD_SHARDS = completions");
  assert.equal(valueAfter(container.args, "--shard"), "auto");
  assert.ok(valueAfter(container.args, "--start-at"));
  assert.equal(valueAfter(container.args, "--seed"), "42");
  assertKnownFlags(container.args.join(" "), runCommand);
  // The stats dir is per index, from the completion index annotation.
  assert.equal(valueAfter(container.args, "--out"), "/results/shard-$(SHARD_INDEX)");
  assert.match(env.SHARD_INDEX.valueFrom.fieldRef.fieldPath, /batch\.kubernetes\.io\/job-completion-index/);
  // Results on one shared volume, merged from every index.
  const claim = (job: Doc) =>
    job.spec.template.spec.volumes.find((v: Doc) => v.persistentVolumeClaim)
      .persistentVolumeClaim.claimName;
  assert.equal(claim(merge), claim(shards));
  const pvc = docs.find((d) => d.kind === "PersistentVolumeClaim")!;
  assert.equal(pvc.metadata.name, claim(shards));
  assert.ok(pvc.spec.accessModes.includes("ReadWriteMany"));
  const mergeArgs: string[] = merge.spec.template.spec.containers[0].args;
  assert.equal(mergeArgs[0], "merge");
  assert.deepEqual(
    mergeArgs.filter((a) => a.startsWith("/results/shard-")),
    Array.from({ length: n }, (_, i) => `/results/shard-${i}`),
  );
  assert.ok(valueAfter(mergeArgs, "--out"));
  assertKnownFlags(mergeArgs.join(" "), mergeCommand);
  const wait = merge.spec.template.spec.initContainers[0].args.join(" ");
  assert.match(wait, new RegExp(`-ge ${n}\\b`), "the merge waits for all N summaries");
});

Deno.test("GitHub Actions example: a matrix of N shard indices, one planned --start-at, a merge job", () => {
  const path = `${ROOT}docs/examples/github-shards.yml`;
  const workflow = parse(Deno.readTextFileSync(path)) as Doc;
  const n = workflow.env.SHARDS;
  const shard = workflow.jobs.shard;
  assert.deepEqual(
    shard.strategy.matrix.index,
    Array.from({ length: n }, (_, i) => i),
    "0-based indices 0…N-1",
  );
  assert.equal(shard.strategy["fail-fast"], false);
  assert.ok(shard.needs === "plan" || shard.needs.includes("plan"));
  const run = shard.steps.map((s: Doc) => s.run ?? "").join("\n");
  assert.match(run, /--shard \$\{\{ matrix\.index \}\}\/\$\{\{ env\.SHARDS \}\}/);
  assert.match(run, /--start-at \$\{\{ needs\.plan\.outputs\.start_at \}\}/);
  assert.match(run, /--seed \$\{\{ env\.SEED \}\}/);
  assertKnownFlags(shard.steps.find((s: Doc) => /moodle-load run/.test(s.run ?? "")).run, runCommand);
  assert.ok(workflow.jobs.plan.outputs.start_at);
  const merge = workflow.jobs.merge;
  assert.equal(merge.needs, "shard");
  assert.match(merge.if, /always\(\)/);
  const mergeRun = merge.steps.find((s: Doc) => /moodle-load merge/.test(s.run ?? "")).run;
  assert.match(mergeRun, /merge shards\/shard-\* --out merged/);
  assertKnownFlags(mergeRun, mergeCommand);
  // Each shard uploads its directory under the name the merge job downloads.
  const upload = shard.steps.find((s: Doc) => String(s.uses).startsWith("actions/upload-artifact"));
  assert.equal(upload.with.name, "shard-${{ matrix.index }}");
  const download = merge.steps.find((s: Doc) => String(s.uses).startsWith("actions/download-artifact"));
  assert.equal(download.with.pattern, "shard-*");
});

Deno.test("GitLab CI example: parallel N with --shard auto (CI_NODE_INDEX), a dotenv START_AT, a merge job", () => {
  const pipeline = parse(Deno.readTextFileSync(`${ROOT}docs/examples/gitlab-shards.yml`)) as Doc;
  const shard = pipeline.shard;
  assert.ok(Number.isInteger(shard.parallel) && shard.parallel > 1);
  const script = shard.script.join("\n");
  assert.match(script, /--shard auto/);
  assert.match(script, /--start-at "\$START_AT"/);
  assert.match(script, /--out "shard-\$CI_NODE_INDEX"/);
  assertKnownFlags(script, runCommand);
  assert.match(pipeline.plan.script.join("\n"), /START_AT=/);
  assert.equal(pipeline.plan.artifacts.reports.dotenv, "plan.env");
  assert.ok(pipeline.stages.indexOf("plan") < pipeline.stages.indexOf("load"));
  assert.deepEqual(pipeline.merge.needs, ["shard"]);
  const merge = pipeline.merge.script.join("\n");
  assert.match(merge, /moodle-load merge shard-\* --out merged/);
  assertKnownFlags(merge.split("\n")[0], mergeCommand);
});
