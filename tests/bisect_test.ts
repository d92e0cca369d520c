/**
 * bisect end to end: a fake "Moodle" git repo whose commits set the demo server's latency through a
 * prepare command ("deploy"), a baseline made by bench, then moodle-load bisect at each commit
 * (0 good / 1 bad / 125 skip) and a whole `git bisect run` that names the first slow commit.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { defaultDemoUsers, startDemoServer } from "../src/demo/mod.ts";
import { demoRunConfig } from "../src/demo/config.ts";
import { MAIN, runCli } from "./helpers/cli.ts";
import { compileFlags } from "../src/permissions.ts";
import { requireService } from "./helpers/services.ts";

const PATHS = [
  "/my/",
  "/course/view.php",
  "/mod/page/view.php",
  "/mod/forum/view.php",
  "/mod/forum/discuss.php",
];
// Far apart, so a baseline slowed by a busy CI machine still cannot look like the slow commit.
const GOOD_MS = 20;
const BAD_MS = 200;

function gitAvailability() {
  try {
    const ok =
      new Deno.Command("git", { args: ["--version"], stdout: "null", stderr: "null" }).outputSync().success;
    return { ok, reason: ok ? "" : "git --version failed" };
  } catch {
    return { ok: false, reason: "git is not installed" };
  }
}

async function git(cwd: string, ...args: string[]): Promise<string> {
  const output = await new Deno.Command("git", {
    args: [
      "-c",
      "user.name=Test",
      "-c",
      "user.email=test@example.org",
      "-c",
      "init.defaultBranch=main",
      ...args,
    ],
    cwd,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(output.stdout) + new TextDecoder().decode(output.stderr);
  if (!output.success) throw new Error(`git ${args.join(" ")}: ${text}`);
  return text.trim();
}

function baselineP95(runDir: string): number {
  const file = [...Deno.readDirSync(runDir)].find((e) => /^load_summary_.*\.json$/.test(e.name))!.name;
  return JSON.parse(Deno.readTextFileSync(join(runDir, file))).latency_ms_p95;
}

/** Load flags every step uses (same seed, short but enough requests for an overall p95). */
const LOAD = [
  "--rpm",
  "2400",
  "--duration",
  "8",
  "--progress",
  "60",
  "--concurrency",
  "16",
  "--seed",
  "7",
  "--quiet",
];

Deno.test(
  "bisect: good / bad / skip per commit of a fake repo, and git bisect run finds the first slow commit",
  requireService("git", gitAvailability()),
  async () => {
    const dir = await Deno.makeTempDir({ prefix: "bisect_e2e_" });
    const latencyByPath: Record<string, number> = Object.fromEntries(PATHS.map((p) => [p, GOOD_MS]));
    const users = defaultDemoUsers(12);
    const server = await startDemoServer({ users, latencyByPath, pageBytes: 20_000 });
    const deployed = join(dir, "deployed_latency_ms");
    await Deno.writeTextFile(deployed, String(GOOD_MS));
    // The "deployment": whatever the checked-out commit says becomes the site's latency.
    const watcher = setInterval(() => {
      try {
        const ms = Number(Deno.readTextFileSync(deployed).trim());
        if (Number.isFinite(ms)) { for (const p of PATHS) latencyByPath[p] = ms; }
      } catch { /* mid-copy */ }
    }, 25);
    try {
      const config = join(dir, "site.json");
      await Deno.writeTextFile(config, JSON.stringify(demoRunConfig({ url: server.url, users })));

      // the repo: c1 good, c2 good, c3 slow (the culprit), c4 slow and does not build, c5 slow
      const repo = join(dir, "moodle");
      await Deno.mkdir(repo);
      await git(repo, "init", "-q");
      const commits: string[] = [];
      for (
        const [name, latency, broken] of [
          ["c1", GOOD_MS, false],
          ["c2", GOOD_MS, false],
          ["c3", BAD_MS, false],
          ["c4", BAD_MS, true],
          ["c5", BAD_MS, false],
        ] as const
      ) {
        await Deno.writeTextFile(join(repo, "latency_ms"), String(latency));
        await Deno.writeTextFile(join(repo, "version.php"), `<?php $release = '${name}';\n`);
        if (broken) await Deno.writeTextFile(join(repo, "broken"), "syntax error\n");
        else await Deno.remove(join(repo, "broken")).catch(() => {});
        await git(repo, "add", "-A");
        await git(repo, "commit", "-q", "-m", name);
        commits.push(await git(repo, "rev-parse", "--short", "HEAD"));
      }
      const prepare = `test ! -f broken && cp latency_ms '${deployed}' && sleep 0.2`;

      // the baseline, measured like every step
      const runs = join(dir, "runs");
      const base = await runCli(["bench", "--config", config, ...LOAD, "--tag", "good", "--out", runs]);
      assert.equal(base.code, 0, base.stderr);
      const baseline = join(runs, [...Deno.readDirSync(runs)].find((e) => e.name.endsWith("_good"))!.name);
      assert.ok(Deno.statSync(join(baseline, "report.html")).isFile);
      const baseP95 = baselineP95(baseline);
      assert.ok(
        baseP95 < BAD_MS / 2,
        `the baseline's p95 ${baseP95} ms is near the slow commit's latency: machine overloaded?`,
      );

      const bisectArgs = [
        "bisect",
        "--baseline",
        baseline,
        "--config",
        config,
        "--prepare",
        prepare,
        "--max-regression",
        "50%",
        "--out",
        join(runs, "bisect"),
        ...LOAD,
      ];
      const at = async (index: number) => {
        await git(repo, "checkout", "-q", commits[index]);
        return await runCli(bisectArgs, { cwd: repo });
      };
      const good = await at(1);
      assert.equal(good.code, 0, good.stderr + good.stdout);
      assert.match(good.stdout, new RegExp(`bisect: ${commits[1]} good \\(exit 0\\)`));
      const skip = await at(3);
      assert.equal(skip.code, 125, skip.stderr);
      assert.match(skip.stderr, /skip \(exit 125\) — the prepare command failed/);
      const bad = await at(2);
      assert.equal(bad.code, 1, `baseline p95 ${baseP95} ms\n${bad.stderr}`);
      assert.match(bad.stderr, new RegExp(`bisect: ${commits[2]} bad \\(exit 1\\) — .*p95 changed \\+\\d+`));
      assert.ok(
        [...Deno.readDirSync(join(runs, "bisect"))].some((e) => e.name.endsWith(`_${commits[2]}`)),
        "the step's run directory is named after the commit",
      );

      // the whole thing under git bisect run (c1 good, c5 bad): c3 named
      await git(repo, "checkout", "-q", commits[4]);
      await git(repo, "bisect", "start", commits[4], commits[0]);
      const output = await new Deno.Command("git", {
        args: ["bisect", "run", Deno.execPath(), "run", "--quiet", ...compileFlags(), MAIN, ...bisectArgs],
        cwd: repo,
        env: { NO_COLOR: "1" },
        stdout: "piped",
        stderr: "piped",
      }).output();
      const log = new TextDecoder().decode(output.stdout) + new TextDecoder().decode(output.stderr);
      assert.ok(output.success, log);
      assert.match(log, new RegExp(`${commits[2]}[0-9a-f]* is the first bad commit`), log);
      await git(repo, "bisect", "reset");

      // a site that is down: skip, not bad
      const downConfig = join(dir, "down.json");
      await Deno.writeTextFile(
        downConfig,
        JSON.stringify(demoRunConfig({ url: "http://127.0.0.1:9", users })),
      );
      const down = await runCli([
        ...bisectArgs.filter((a) => a !== prepare && a !== "--prepare"),
        "--config",
        downConfig,
      ], {
        cwd: repo,
      });
      assert.equal(down.code, 125, down.stderr);
      assert.match(down.stderr, /skip \(exit 125\) — login failed/);
    } finally {
      clearInterval(watcher);
      await server.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
);
