/**
 * Run metadata and the A/B report: what each run records about what it ran against, compare's
 * warnings (one line per difference, before the verdict), and the two-run page in headless Chromium
 * with two real demo runs (a slower candidate): both runs drawn on every chart, the verdict table
 * with its intervals, no table wider than a 1280 px window.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { runDifferences } from "../src/compare/differences.ts";
import { gitHead } from "../src/results/git_head.ts";
import type { RunMetadata, RunSummary } from "../src/results/summary_types.ts";
import { makeRunSummary, moodleMix } from "./helpers/run_fixture.ts";
import { ROOT, runCli } from "./helpers/cli.ts";
import { chromiumAvailability, launchChromium } from "./helpers/browser.ts";
import { requireService } from "./helpers/services.ts";
import { demoRun } from "./helpers/demo_run.ts";
import { OVERFLOW } from "./helpers/overflow.ts";
import { writeRunDir } from "./helpers/run_dir_fixture.ts";
import { readCaptures } from "../src/report/capture.ts";
import { buildAbCharts } from "../src/report/ab_charts.ts";

const METADATA: RunMetadata = {
  moodle_release: "4.3 (Build: 20231009)",
  moodle_version: "2023100900",
  moodle_source: "database",
  php_version: null,
  postgres_version: "15.20 (Debian 15.20-0+deb12u1)",
  code_commit: "a".repeat(40),
  tag: "main",
  config_hash: `sha256:${"c".repeat(64)}`,
  schedule_hash: "d".repeat(64),
};

function fixture(seed: number, metadata?: Partial<RunMetadata>): RunSummary {
  const summary = makeRunSummary({ endpoints: moodleMix(), targetRpm: 600, durationSec: 60, seed });
  if (metadata) summary.metadata = { ...METADATA, ...metadata };
  return summary;
}

async function git(...args: string[]): Promise<string> {
  const out = await new Deno.Command("git", { args, cwd: ROOT, stdout: "piped", stderr: "null" }).output();
  return new TextDecoder().decode(out.stdout).trim();
}

Deno.test("gitHead reads the checkout's commit from .git as git rev-parse HEAD does (worktrees too)", async () => {
  const expected = await git("rev-parse", "HEAD");
  assert.match(expected, /^[0-9a-f]{40}$/);
  assert.equal(await gitHead(ROOT), expected);
  assert.equal(await gitHead(join(ROOT, "src/report")), expected, "from a folder inside the checkout");
  const outside = await Deno.makeTempDir({ prefix: "no_git_" });
  try {
    assert.equal(await gitHead(outside), undefined);
  } finally {
    await Deno.remove(outside);
  }
});

Deno.test("run differences: one line per differing metadata value, rate and interruption; none for equal runs", () => {
  assert.deepEqual(runDifferences(fixture(1, {}), fixture(2, {})), []);
  const lines = runDifferences(
    fixture(1, {}),
    {
      ...fixture(2, { moodle_version: "2023100901", code_commit: "b".repeat(40), php_version: "8.2.7" }),
      interrupted: true,
      target_rpm: 900,
    },
  );
  assert.deepEqual(lines.map((l) => l.split(/[:(]/)[0]), [
    "target rates differ ",
    "the candidate run was interrupted ",
    "Moodle version differs",
    "PHP version",
    "code commit differs",
  ]);
  assert.match(lines[2], /2023100900 in base vs 2023100901 in candidate/);
  assert.match(lines[3], /unknown in base vs 8\.2\.7 in candidate — cannot tell/);
  assert.match(lines[4], /aaaaaaaaaaaa in base vs bbbbbbbbbbbb in candidate/);
  // a summary from before metadata existed still loads and compares, with one line saying so
  assert.deepEqual(runDifferences(fixture(1), fixture(2, {})).length, 1);
  assert.match(runDifferences(fixture(1), fixture(2, {}))[0], /^base recorded no run metadata/);
});

Deno.test("compare prints the differences BEFORE its verdict; --json has them as warnings", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ab_warn_" });
  try {
    const base = join(dir, "load_summary_base.json");
    const candidate = join(dir, "load_summary_candidate.json");
    await Deno.writeTextFile(base, JSON.stringify(fixture(1, {})));
    await Deno.writeTextFile(
      candidate,
      JSON.stringify(fixture(2, { moodle_release: "4.3.1 (Build: 20231106)", tag: "feature" })),
    );
    const text = await runCli(["compare", base, candidate]);
    assert.equal(text.code, 0, text.stderr);
    const release = text.stdout.indexOf("Warning: Moodle release differs: 4.3 (Build: 20231009) in base");
    const tag = text.stdout.indexOf("Warning: tag differs: main in base vs feature in candidate");
    const verdict = text.stdout.indexOf("Verdict:");
    assert.ok(release > 0 && tag > release && verdict > tag, text.stdout);
    assert.equal(text.stdout.match(/^Warning:/gm)?.length, 2, "one line per difference");
    const json = await runCli(["compare", base, candidate, "--json"]);
    assert.equal(JSON.parse(json.stdout).warnings.length, 2);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** Per chart: the share of pixels in the base colour (#2563eb) and in the candidate colour (#ea580c). */
const SIDES = `Object.fromEntries([...document.querySelectorAll(".chart")].map((host) => {
  const c = host.querySelector("canvas");
  const p = c.getContext("2d", { willReadFrequently: true }).getImageData(0, 0, c.width, c.height).data;
  const near = (i, r, g, b) => Math.abs(p[i] - r) < 40 && Math.abs(p[i + 1] - g) < 40 && Math.abs(p[i + 2] - b) < 40;
  let base = 0, candidate = 0;
  for (let i = 0; i < p.length; i += 4) {
    if (p[i + 3] < 200) continue;
    if (near(i, 37, 99, 235)) base++;
    if (near(i, 234, 88, 12)) candidate++;
  }
  return [host.getAttribute("data-chart"), { base: base / (p.length / 4), candidate: candidate / (p.length / 4) }];
}))`;

Deno.test(
  "A/B report of two real demo runs in Chromium: both runs on every chart, verdict table with intervals, warnings first, no overflow at 1280 px",
  requireService("chromium", chromiumAvailability()),
  async () => {
    const dir = await Deno.makeTempDir({ prefix: "ab_report_" });
    try {
      await Deno.mkdir(join(dir, "a"));
      await Deno.mkdir(join(dir, "b"));
      const base = await demoRun(join(dir, "a"), 1200, 8, ["--quiet", "--tag", "main"]);
      const candidate = await demoRun(join(dir, "b"), 1200, 8, ["--quiet", "--tag", "feature"], {
        latencyMs: 60,
      });
      // every run records what it ran against; the demo site has no database and hides PHP
      const meta = candidate.summary.metadata!;
      assert.equal(meta.code_commit, await git("rev-parse", "HEAD"));
      assert.equal(meta.tag, "feature");
      assert.match(meta.config_hash!, /^sha256:[0-9a-f]{64}$/);
      assert.equal(meta.schedule_hash, base.summary.metadata!.schedule_hash, "same rate, seed and URLs");
      assert.deepEqual([meta.moodle_release, meta.moodle_version, meta.moodle_source], [null, null, "none"]);

      const result = await runCli(["report", base.statsDir, candidate.statsDir]);
      assert.equal(result.code, 0, result.stderr);
      const file = join(candidate.statsDir, "ab-report.html");
      assert.match(result.stdout, /wrote .*ab-report\.html/);
      const viaCompare = join(dir, "compare.html");
      const compared = await runCli(["compare", base.statsDir, candidate.statsDir, "--html", viaCompare]);
      assert.equal(compared.code, 0, compared.stderr);
      assert.match(compared.stdout, /Verdict: REGRESSION/);
      assert.match(await Deno.readTextFile(viaCompare), /id="verdict"/);

      const browser = await launchChromium();
      try {
        const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, offline: true });
        const page = await context.newPage();
        const problems: string[] = [];
        page.on("console", (m) => {
          if (m.type() === "error" || m.type() === "warning") problems.push(`${m.type()}: ${m.text()}`);
        });
        page.on("pageerror", (e) => problems.push(`pageerror: ${e}`));
        await page.goto(`file://${file}`);
        await page.waitForFunction(`document.documentElement.getAttribute("data-charts") !== null`, null, {
          timeout: 30_000,
        });
        const sides = await page.evaluate(SIDES) as Record<string, { base: number; candidate: number }>;
        assert.deepEqual(Object.keys(sides), ["rate", "latency", "errors", "distribution", "endpoints"]);
        for (const [id, share] of Object.entries(sides)) {
          assert.ok(share.base > 0.0005, `${id}: the base run is not drawn (${share.base})`);
          assert.ok(share.candidate > 0.0005, `${id}: the candidate run is not drawn (${share.candidate})`);
        }
        assert.equal(await page.locator(".chart[data-drawn='1']").count(), 5);
        // the time axis is seconds since each run's start: both runs start at 0
        const rate = await page.evaluate(
          `JSON.parse(document.getElementById("report-data").textContent).charts.find((c) => c.id === "rate")`,
        ) as { x: number[]; xKind: string };
        assert.equal(rate.xKind, "elapsed");
        assert.ok(
          rate.x[0] >= 0 && rate.x[0] <= 1.1 && rate.x.at(-1)! <= 9.1,
          `x ${rate.x[0]}..${rate.x.at(-1)}`,
        );
        // the verdict: the 55 ms slower candidate is a regression, shown with its confidence interval
        const verdict = await page.locator("#verdict").innerText();
        assert.match(verdict, /REGRESSION/);
        assert.match(verdict, /95% CI \+\d+(\.\d)?% … \+\d+(\.\d)?%/);
        assert.match(await page.locator(".banner").first().innerText(), /^REGRESSION: /);
        // the verdict table sorts by a column (p95 change, largest first); the overall row stays on top
        await page.locator("#verdict th", { hasText: /^p95/ }).click();
        const verdictRows = await page.$$eval("#verdict tbody tr", (rows) =>
          rows.map((r) => ({
            name: r.cells[0].textContent,
            change: r.cells[3].getAttribute("data-sort"),
          })));
        assert.equal(verdictRows[0].name, "(all)");
        const changes = verdictRows.slice(1).map((r) => r.change).filter((c) => c !== null).map(Number);
        assert.ok(changes.length >= 2, JSON.stringify(verdictRows));
        assert.deepEqual(changes, [...changes].sort((a, b) => b - a), JSON.stringify(verdictRows));
        assert.equal(
          await page.locator("#verdict th", { hasText: /^p95/ }).getAttribute("aria-sort"),
          "descending",
        );
        // what else differs (site, tag, config) comes before the verdict
        const order = await page.evaluate(
          `[...document.querySelectorAll(".warnings li, #verdict")].map((n) => n.tagName)`,
        ) as string[];
        assert.ok(order.length >= 3 && order.at(-1) === "TABLE", order.join(","));
        assert.match(await page.locator(".warnings").innerText(), /tag differs: main in base vs feature/);
        const overflow = await page.evaluate(OVERFLOW) as { tables: string[]; page: number };
        assert.deepEqual(overflow, { tables: [], page: 0 }, "no horizontal overflow at 1280 px");
        await page.screenshot({ path: join(dir, "ab.png"), fullPage: true });
        const keep = Deno.env.get("AB_REPORT_SCREENSHOT") ??
          join(Deno.env.get("TMPDIR") ?? "/tmp", "moodle-load-ab-report.png");
        await Deno.copyFile(join(dir, "ab.png"), keep);
        console.log(`A/B report screenshot: ${keep}`);
        assert.deepEqual(problems, []);
      } finally {
        await browser.close();
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);

Deno.test("A/B charts: server-side capture of both runs overlaid on seconds since each run's start", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ab_capture_" });
  try {
    const base = await writeRunDir(join(dir, "a"));
    const candidate = await writeRunDir(join(dir, "b"));
    const { series: baseCaptures } = await readCaptures(join(dir, "a"));
    const { series: candidateCaptures } = await readCaptures(join(dir, "b"));
    // the candidate ran an hour later: on the A/B axis both start at 0
    const later = (s: RunSummary): RunSummary => ({
      ...s,
      intervals: s.intervals.map((i) => ({ ...i, epoch_ms: i.epoch_ms + 3_600_000 })),
    });
    const set = buildAbCharts(
      { label: "base", summary: base, captures: baseCaptures },
      {
        label: "candidate",
        summary: later(candidate),
        captures: candidateCaptures.map((c) => ({ ...c, epochMs: c.epochMs.map((ms) => ms + 3_600_000) })),
      },
    );
    assert.deepEqual(set.charts.map((c) => c.id), [
      "rate",
      "latency",
      "errors",
      "distribution",
      "endpoints",
      "cpu",
      "memory",
      "pg",
    ]);
    for (const chart of set.charts.filter((c) => ["cpu", "memory", "pg"].includes(c.id))) {
      assert.equal(chart.xKind, "elapsed");
      const labels = chart.series.map((s) => s.label);
      assert.ok(
        labels.some((l) => l.startsWith("base ")) && labels.some((l) => l.startsWith("candidate ")),
        `${labels}`,
      );
      const half = chart.series.length / 2;
      assert.deepEqual(
        chart.series.slice(half).map((s) => s.values),
        chart.series.slice(0, half).map((s) => s.values),
        `${chart.id}: the same capture an hour later lies on the same x`,
      );
    }
    assert.equal(set.loadStart, 0);
    // summaries from before metadata existed: the A/B page still renders and says what it cannot check
    const out = join(dir, "ab.html");
    const cli = await runCli(["report", join(dir, "a"), join(dir, "b"), "--out", out]);
    assert.equal(cli.code, 0, cli.stderr);
    const html = await Deno.readTextFile(out);
    assert.match(html, /base and candidate recorded no run metadata/);
    assert.match(html, /not recorded \(summary written by an older moodle-load\)/);
    for (const id of ["cpu", "memory", "pg"]) assert.ok(html.includes(`id="chart-${id}"`), id);
    const refused = await runCli(["report", join(dir, "a"), join(dir, "b"), "--threshold", "p95<1s"]);
    assert.equal(refused.code, 2);
    assert.match(
      refused.stderr,
      /--threshold judges one run; two runs are judged by `compare BASE CAND --fail-on/,
    );
    assert.ok(set.range[0] < 0, "capture started before the load: negative seconds");
    assert.ok(set.range[1] < 3600, `one axis for both runs: ${set.range}`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
