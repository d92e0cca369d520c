/**
 * Shards on a real scheduler: `docker service create --replicas 3` on a one-node swarm of the private
 * Docker Engine (tests/helpers/docker.ts, swarm.ts), from an image imported from a local root filesystem
 * (tests/helpers/deno_image.ts: nothing pulled). Each task gets its index as a Kubernetes Indexed Job pod
 * does — JOB_COMPLETION_INDEX, from the swarm's task slot — and the count in MOODLE_LOAD_SHARDS; all run
 * `--shard auto --start-at T` on the host's network against the demo site on 127.0.0.1 and write to a
 * bind-mounted directory; then `merge` on the host. Skipped loudly without dockerd (fails under CI=true).
 */
import assert from "node:assert/strict";
import { dockerAvailability, type PrivateDocker, startPrivateDocker } from "./helpers/docker.ts";
import { IMAGE_APP, importSourceImage, SOURCE_IMAGE } from "./helpers/deno_image.ts";
import { initSwarm, serviceTasks, type TaskState } from "./helpers/swarm.ts";
import { requireService } from "./helpers/services.ts";
import { runCli } from "./helpers/cli.ts";
import { withDemo } from "./helpers/demo.ts";
import { defaultDemoUsers } from "../src/demo/mod.ts";
import { demoRunConfig } from "../src/demo/config.ts";
import { compileFlags } from "../src/permissions.ts";
import { decodeHistogram, encodeHistogram, newHistogram, recordUs } from "../src/engine/histogram.ts";
import { constantSchedule } from "../src/engine/schedule.ts";
import type { RequestLogEntry } from "../src/engine/engine.ts";
import type { FullRunSummary } from "../src/results/summary.ts";

const availability = await dockerAvailability();

const SHARDS = 3;
const USERS = 6;
const RPM = 1200;
const DURATION_SEC = 3;
const SEED = 5;
const SERVICE = "moodle-load-shards";
const SHARD_INDICES = [0, 1, 2];
/**
 * From `service create` to the agreed start: task dispatch, 3 containers, a cold deno start (no code cache)
 * and the logins — 12–21 s of it were to spare on the loaded 2-core machine here.
 */
const START_MARGIN_MS = 25_000;

async function summaryIn(dir: string): Promise<FullRunSummary> {
  for (const entry of Deno.readDirSync(dir)) {
    if (/^load_summary_.*\.json$/.test(entry.name)) {
      return JSON.parse(await Deno.readTextFile(`${dir}/${entry.name}`));
    }
  }
  throw new Error(`no summary in ${dir}`);
}

function readLog(path: string): RequestLogEntry[] {
  return Deno.readTextFileSync(path).trim().split("\n").filter(Boolean).map((line) => JSON.parse(line));
}

/**
 * What each task runs. Swarm numbers a replicated service's tasks 1…N (`{{.Task.Slot}}`); the shell
 * turns the slot into the 0-based JOB_COMPLETION_INDEX a Kubernetes Indexed Job sets, and moodle-load
 * reads that (and MOODLE_LOAD_SHARDS) through `--shard auto` like in a pod.
 */
function shardCommand(startAt: number): string {
  const run = [
    "deno run --cached-only --quiet",
    ...compileFlags(),
    `${IMAGE_APP}/main.ts run --config /results/config.json`,
    `--rpm ${RPM} --duration ${DURATION_SEC} --seed ${SEED} --progress 1`,
    `--shard auto --start-at ${startAt}`,
    '--stats-dir "/results/shard-$JOB_COMPLETION_INDEX"',
    '--request-log "/results/requests-$JOB_COMPLETION_INDEX.jsonl"',
  ].join(" ");
  return `export JOB_COMPLETION_INDEX=$((SLOT - 1)); exec ${run} >"/results/out-$SLOT.txt" 2>&1`;
}

async function runShardService(
  engine: PrivateDocker,
  results: string,
  startAt: number,
): Promise<TaskState[]> {
  // By id, so that no node tries to pull it (swarm pulls a tag first, for the newest), and with no
  // registry lookup to pin its digest: nothing leaves the machine.
  const image = (await engine.must(["image", "inspect", "--format", "{{.Id}}", SOURCE_IMAGE])).trim();
  await engine.must([
    "service",
    "create",
    "--detach",
    "--no-resolve-image",
    "--name",
    SERVICE,
    "--replicas",
    String(SHARDS),
    "--restart-condition",
    "none", // a restarted shard would start after --start-at and refuse (the Job's backoffLimit: 0)
    "--network",
    "host", // the demo site listens on the host's 127.0.0.1
    "--mount",
    `type=bind,source=${results},target=/results`,
    "--env",
    "SLOT={{.Task.Slot}}",
    "--env",
    `MOODLE_LOAD_SHARDS=${SHARDS}`,
    image,
    "sh",
    "-c",
    shardCommand(startAt),
  ]);
  let tasks: TaskState[] = [];
  const ended = (task: TaskState) => ["complete", "failed", "rejected", "shutdown"].includes(task.state);
  // Polled once a second: each look is two docker CLI processes, which the shards' start-up would feel.
  const deadline = Date.now() + START_MARGIN_MS + 60_000;
  for (;;) {
    tasks = await serviceTasks(engine, SERVICE);
    if (tasks.length === SHARDS && tasks.every(ended)) break;
    if (Date.now() > deadline) throw new Error(`the shard tasks did not end: ${JSON.stringify(tasks)}`);
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  return tasks.sort((a, b) => a.slot - b.slot);
}

/**
 * The merge of the shards' directories under `results` is the single run: its requests each once, by
 * the shard its index belongs to; each user logged in by one shard; the histogram of the request logs.
 */
async function assertExactMerge(results: string, demoLogins: number): Promise<void> {
  const perShard = await Promise.all(SHARD_INDICES.map((i) => summaryIn(`${results}/shard-${i}`)));
  perShard.forEach((s, i) => assert.deepEqual(s.shard, { index: i, count: SHARDS }));
  assert.equal(new Set(perShard.map((s) => s.schedule_hash)).size, 1);
  const merged = await runCli([
    "merge",
    ...SHARD_INDICES.map((i) => `${results}/shard-${i}`),
    "--out",
    `${results}/merged`,
    "--quiet",
  ]);
  assert.equal(merged.code, 0, merged.stderr);
  const summary = await summaryIn(`${results}/merged`);

  // The single run's intended requests, each sent once, by the shard its index belongs to.
  const single = constantSchedule(RPM, DURATION_SEC);
  assert.equal(summary.not_sent, 0, "every shard was ready before --start-at");
  assert.equal(summary.total, single.totalCount);
  const logs = SHARD_INDICES.map((i) => readLog(`${results}/requests-${i}.jsonl`));
  const all = logs.flat().sort((a, b) => a.i - b.i);
  assert.deepEqual(all.map((e) => e.i), Array.from({ length: single.totalCount }, (_, i) => i));
  logs.forEach((log, shard) => log.forEach((e) => assert.equal(e.i % SHARDS, shard)));

  // Each user logged in once, by one shard (user u by shard u mod 3), and used only there.
  assert.equal(demoLogins, USERS);
  perShard.forEach((s) => assert.equal(s.login.logged_in, USERS / SHARDS));
  assert.equal(summary.login.logged_in, USERS);
  const usersOf = logs.map((log) => new Set(log.map((e) => e.user)));
  assert.equal(new Set(usersOf.flatMap((set) => [...set])).size, USERS);
  assert.equal(usersOf.reduce((sum, set) => sum + set.size, 0), USERS, "no user in two shards");

  // The merged histogram is the union: rebuilt from the three request logs, bit for bit.
  const rebuilt = newHistogram();
  for (const e of all) if (!e.warmup) recordUs(rebuilt, e.latency_ms * 1000);
  assert.equal(summary.histograms.latency, encodeHistogram(rebuilt));
  assert.equal(decodeHistogram(summary.histograms.latency).totalCount, single.totalCount);
  assert.equal(summary.bytes, perShard.reduce((sum, s) => sum + s.bytes, 0));
  assert.deepEqual(summary.merged_from?.shards, [0, 1, 2]);
}

Deno.test({
  name:
    "3 shards as swarm tasks (index as a Kubernetes Indexed Job gives it) → merge: the single run, exactly",
  ...requireService("dockerd (private socket)", availability),
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const engine = await startPrivateDocker({ storageDriver: "overlay2" });
    const swarm = await initSwarm(engine).catch(async (error) => {
      await engine.stop();
      throw error;
    });
    const results = await Deno.makeTempDir({ prefix: "mlt-swarm-" });
    try {
      await importSourceImage(engine, engine.dir);
      const users = defaultDemoUsers(USERS);
      await withDemo({ users, pageBytes: 4000, latencyMs: 3 }, async (demo) => {
        await Deno.writeTextFile(
          `${results}/config.json`,
          JSON.stringify(demoRunConfig({ url: demo.url, users })),
        );
        const startAt = Date.now() + START_MARGIN_MS;
        const tasks = await runShardService(engine, results, startAt);
        const outputs = await Promise.all(
          tasks.map((t) => Deno.readTextFile(`${results}/out-${t.slot}.txt`).catch(() => "(no output)")),
        );
        tasks.forEach((task, i) => {
          assert.equal(task.state, "complete", `task ${task.slot}: ${task.error}\n${outputs[i]}`);
          assert.equal(task.exitCode, 0, outputs[i]);
        });
        assert.deepEqual(tasks.map((t) => t.slot), [1, 2, 3]);
        // The headroom left before the agreed start, as each shard said it (shown, so a slow machine shows).
        console.log(
          outputs.map((text, i) => `slot ${i + 1}: ${/waiting [\d.]+ s/.exec(text)?.[0]}`).join("; "),
        );

        await assertExactMerge(results, demo.counters.logins);
      });
    } finally {
      await swarm.leave();
      await engine.stop();
      await Deno.remove(results, { recursive: true }).catch(() => {});
    }
  },
});
