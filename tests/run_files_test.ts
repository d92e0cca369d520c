/**
 * Result files through the real CLI: a real full filesystem (a 64 KB tmpfs) under --stats-dir and
 * --request-log, and two runs started in the same second in the same --stats-dir.
 */
import assert from "node:assert/strict";
import { cliCommand, runCli } from "./helpers/cli.ts";
import { withDemo } from "./helpers/demo.ts";
import { defaultDemoUsers } from "../src/demo/mod.ts";
import { demoRunConfig } from "../src/demo/config.ts";
import { compareStampedNames, fileStamp, parseNameStamp } from "../src/results/stamp.ts";
import { locateSummary } from "../src/results/summary_file.ts";

const decoder = new TextDecoder();

async function configDir(url: string, users: number): Promise<{ dir: string; config: string }> {
  const dir = await Deno.makeTempDir({ prefix: "moodle_load_files_" });
  const config = `${dir}/config.json`;
  await Deno.writeTextFile(config, JSON.stringify(demoRunConfig({ url, users: defaultDemoUsers(users) })));
  return { dir, config };
}

/**
 * A 64 KB tmpfs at `dir` holding a filler that leaves `freeBytes`; false (and a loud line) when this
 * machine does not allow mounting (not root, a container without CAP_SYS_ADMIN) — CI must allow it.
 */
async function tinyFilesystem(dir: string, freeBytes: number): Promise<boolean> {
  const mount = await new Deno.Command("mount", {
    args: ["-t", "tmpfs", "-o", "size=64k", "tmpfs", dir],
    stderr: "piped",
  })
    .output().catch((error) => ({ success: false, stderr: new TextEncoder().encode(String(error)) }));
  if (!mount.success) {
    const why = decoder.decode(mount.stderr).trim();
    if (Deno.env.get("CI")) throw new Error(`cannot mount a tmpfs in CI: ${why}`);
    console.error(`SKIPPED (loudly): the real full-disk check needs \`mount -t tmpfs\` (${why})`);
    return false;
  }
  const filler = await Deno.open(`${dir}/filler`, { write: true, create: true });
  const chunk = new Uint8Array(4096);
  try {
    for (let total = 0; total < 64 * 1024 - freeBytes; total += 4096) await filler.write(chunk);
  } catch { /* full already */ }
  filler.close();
  return true;
}

async function unmount(dir: string): Promise<void> {
  await new Deno.Command("umount", { args: [dir] }).output().catch(() => {});
}

Deno.test("a real full filesystem under --stats-dir: the table and JSON reach stdout, each file named, exit 1", async () => {
  await withDemo({ users: defaultDemoUsers(3), pageBytes: 5_000 }, async (demo) => {
    const { dir, config } = await configDir(demo.url, 3);
    const stats = `${dir}/full`;
    await Deno.mkdir(stats);
    try {
      if (!(await tinyFilesystem(stats, 0))) return;
      const result = await runCli([
        "run",
        "--config",
        config,
        "--rpm",
        "600",
        "--duration",
        "2",
        "--stats-dir",
        stats,
      ]);
      assert.equal(result.code, 1, result.stderr);
      assert.match(result.stdout, /Observed RPM/, "the result table");
      const printed = JSON.parse(result.stdout.trim().split("\n").at(-1)!);
      assert.ok(printed.total > 0, "the JSON summary");
      assert.match(
        result.stderr,
        /warning: --out \S+: only 0 B of the ~\d+ KB this run writes fit \(No space left/,
      );
      assert.match(result.stderr, /cannot write \S+load_summary_\S+\.json: No space left on device/);
      assert.match(result.stderr, /files? could not be written .*the results are on stdout/);
      assert.doesNotMatch(result.stderr, /Uncaught| {4}at /, "no stack trace");
    } finally {
      await unmount(stats);
      await Deno.remove(dir, { recursive: true });
    }
  });
});

Deno.test("a real full filesystem under --request-log: logging stops with whole lines, the run goes on, exit 1", async () => {
  await withDemo({ users: defaultDemoUsers(3), pageBytes: 5_000 }, async (demo) => {
    const { dir, config } = await configDir(demo.url, 3);
    const logs = `${dir}/full`;
    await Deno.mkdir(logs);
    try {
      if (!(await tinyFilesystem(logs, 8 * 1024))) return;
      const log = `${logs}/requests.jsonl`;
      const args = ["run", "--config", config, "--rpm", "1200", "--duration", "4", "--progress", "1"];
      const result = await runCli([...args, "--stats-dir", `${dir}/stats`, "--request-log", log]);
      assert.equal(result.code, 1, result.stderr);
      assert.match(result.stderr, /warning: --request-log /);
      assert.equal(
        result.stderr.match(/cannot write \S+requests\.jsonl: No space left on device/g)?.length,
        1,
      );
      const printed = JSON.parse(result.stdout.trim().split("\n").at(-1)!);
      const text = await Deno.readTextFile(log);
      const lines = text.split("\n").filter(Boolean);
      assert.ok(text.endsWith("\n") || text === "", "only whole lines");
      lines.forEach((line) => JSON.parse(line));
      assert.ok(printed.total > lines.length, `${printed.total} requests, ${lines.length} logged`);
      assert.equal([...Deno.readDirSync(`${dir}/stats`)].length, 4, "the stats files are complete");
    } finally {
      await unmount(logs);
      await Deno.remove(dir, { recursive: true });
    }
  });
});

Deno.test("two runs started in the same second in the same --stats-dir: distinct files, distinct summary_file", async () => {
  await withDemo({ users: defaultDemoUsers(4), pageBytes: 5_000 }, async (demo) => {
    const { dir, config } = await configDir(demo.url, 4);
    const args = [
      "run",
      "--config",
      config,
      "--rpm",
      "600",
      "--duration",
      "1",
      "--stats-dir",
      dir,
      "--quiet",
    ];
    // Both runs name their files when the measured phase starts; the pair is only a test of
    // collisions when that happens in the same second, so try a few pairs until one does.
    for (let attempt = 1;; attempt++) {
      const before = new Set([...Deno.readDirSync(dir)].map((e) => e.name));
      const outputs = await Promise.all([cliCommand(args).output(), cliCommand(args).output()]);
      const printed = outputs.map((o) => {
        assert.equal(o.code, 0, decoder.decode(o.stderr));
        return JSON.parse(decoder.decode(o.stdout).trim().split("\n").at(-1)!).summary_file as string;
      });
      const seconds = printed.map((p) => /_(\d{8}T\d{6}Z)/.exec(p)?.[1]);
      if (seconds[0] !== seconds[1]) {
        assert.ok(attempt < 5, `no two runs in the same second after ${attempt} tries: ${seconds.join(" ")}`);
        continue;
      }
      assert.notEqual(printed[0], printed[1]);
      const names = [...Deno.readDirSync(dir)].map((e) => e.name)
        .filter((n) => n.startsWith("load_") && !before.has(n));
      assert.equal(names.length, 8, names.join(" "));
      assert.equal(new Set(names.map((n) => /_(\d{8}T\d{6}Z(?:-\d+)?)\./.exec(n)?.[1])).size, 2);
      const summaries = await Promise.all(
        printed.map(async (path) => JSON.parse(await Deno.readTextFile(path))),
      );
      assert.notEqual(summaries[0].seed, summaries[1].seed, "two different runs' summaries (random seeds)");
      break;
    }
    await Deno.remove(dir, { recursive: true });
  });
});

Deno.test("stamps: one UTC form; the newest summary is found by time, then -n, across old local names", async () => {
  assert.equal(fileStamp(new Date(Date.UTC(2026, 10, 21, 6, 1, 2, 345))), "20261121T060102Z");
  const names = [
    "load_summary_20261121T060102Z-2.json",
    "load_summary_20261121T060102Z.json",
    "load_summary_20261121T060102Z-10.json",
    "load_summary_20261120T235959Z.json",
  ];
  assert.deepEqual([...names].sort(compareStampedNames), [
    "load_summary_20261120T235959Z.json",
    "load_summary_20261121T060102Z.json",
    "load_summary_20261121T060102Z-2.json",
    "load_summary_20261121T060102Z-10.json",
  ]);
  const local = new Date(2026, 10, 21, 6, 1, 2).getTime();
  assert.equal(parseNameStamp("load_summary_20261121_060102.json")?.timeMs, local);

  const dir = await Deno.makeTempDir({ prefix: "moodle_load_files_" });
  const summary = (n: number) => JSON.stringify({ tool: "moodle-load", n, endpoints: [], intervals: [] });
  await Deno.writeTextFile(`${dir}/load_summary_20261121T060102Z.json`, summary(1));
  await Deno.writeTextFile(`${dir}/load_summary_20261121T060102Z-2.json`, summary(2));
  const located = await locateSummary(dir);
  assert.equal((located.summary as unknown as { n: number }).n, 2, "the -2 file is the newer one");
  await Deno.remove(dir, { recursive: true });
});
