import assert from "node:assert/strict";
import { join } from "node:path";
import { parseCaptureCsv } from "../src/report/capture.ts";
import { buildCharts, joinSeries } from "../src/report/charts.ts";
import { scriptJson } from "../src/report/html.ts";
import { escapeHtml } from "../src/util/html.ts";
import { UPLOT_CSS, UPLOT_JS, UPLOT_VERSION } from "../src/report/uplot_asset.ts";
import { uplotFiles } from "../scripts/vendor_uplot.ts";
import { runCli } from "./helpers/cli.ts";
import { chromiumAvailability, launchChromium } from "./helpers/browser.ts";
import { requireService } from "./helpers/services.ts";
import { writeRunDir } from "./helpers/run_dir_fixture.ts";
import { CSV_HEADER as DOCKER_HEADER } from "../src/docker/stats_output.ts";
import { csvDocument } from "../src/output/csv.ts";

Deno.test("the inlined uPlot is the pinned npm package's dist (run `deno task vendor-uplot` when stale)", async () => {
  const files = await uplotFiles();
  assert.equal(UPLOT_VERSION, files.version);
  assert.equal(UPLOT_JS, files.js);
  assert.equal(UPLOT_CSS, files.css);
});

Deno.test("capture CSVs: docker and pg files recognised by header, gap rows become nulls, names from files", () => {
  const docker = parseCaptureCsv(
    "moodle_web-1_20261121T050000Z_bench.csv",
    csvDocument(DOCKER_HEADER, [
      [1000, "1970-01-01T00:00:01.000Z", 12.5, 1000, 4000, 25, 1, 2, 3, 4, 5],
      [2000, "1970-01-01T00:00:02.000Z", "", "", "", "", "", "", "", "", ""],
      [3000, "1970-01-01T00:00:03.000Z", 50, 2000, 4000, 50, 1, 2, 3, 4, 5],
    ]),
  )!;
  assert.equal(docker.kind, "docker");
  assert.equal(docker.name, "moodle_web-1");
  assert.deepEqual(docker.epochMs, [1000, 2000, 3000]);
  assert.deepEqual(docker.columns.cpu_pct, [12.5, null, 50]);
  assert.ok(!("iso_time" in docker.columns));
  const pg = parseCaptureCsv(
    "pg_moodle_20261121T050000Z.csv",
    "epoch_ms,iso_time,active,idle\n1000,x,3,7\n",
  )!;
  assert.equal(pg.kind, "pg");
  assert.equal(pg.name, "moodle");
  assert.equal(parseCaptureCsv("load_progress_x.csv", "elapsed,total\n1,2\n"), undefined);
});

Deno.test("charts share one time axis; capture series are aligned on it", () => {
  assert.deepEqual(joinSeries([{ x: [1, 3], y: [10, 30] }, { x: [2, 3, 4], y: [20, null, 40] }]), {
    x: [1, 2, 3, 4],
    ys: [[10, null, 30, null], [null, 20, null, 40]],
    gaps: [[], [2]],
  });
});

Deno.test("report data: rate, latency, errors from the summary; CPU, memory, connections from captures", async () => {
  const dir = await Deno.makeTempDir({ prefix: "report_data_" });
  try {
    const summary = await writeRunDir(dir);
    const { readCaptures } = await import("../src/report/capture.ts");
    const { series } = await readCaptures(dir);
    const set = buildCharts(summary, series);
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
    assert.equal(set.warmupEnd! - set.loadStart, summary.warmup_sec);
    const rate = set.charts[0];
    assert.deepEqual(rate.series[1].values, summary.intervals.map((i) => i.observed_rpm));
    const errors = set.charts[2];
    assert.ok(errors.stacked);
    assert.deepEqual(errors.series.map((s) => s.label).sort(), Object.keys(summary.errors).sort());
    const endpoints = set.charts[4];
    assert.equal(endpoints.xKind, "category");
    const busiest = [...summary.endpoints].sort((a, b) => b.total - a.total);
    assert.deepEqual(endpoints.categories, busiest.map((e) => e.name));
    assert.deepEqual(endpoints.series.map((s) => s.label), ["p50", "p95", "p99"]);
    assert.deepEqual(endpoints.series[1].values, busiest.map((e) => e.latency_ms_p95));
    const pg = set.charts[7];
    assert.deepEqual(pg.series.map((s) => s.label), [
      "active",
      "idle",
      "idle in tx",
      "other",
      "waiting on locks",
    ]);
    assert.ok(set.range[0] < set.loadStart, "capture before the load is on the axis");
    const onlyLoad = buildCharts(summary, []);
    assert.deepEqual(onlyLoad.charts.map((c) => c.id), [
      "rate",
      "latency",
      "errors",
      "distribution",
      "endpoints",
    ]);
    assert.equal(onlyLoad.missing.length, 2);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("HTML escaping and script-safe JSON", () => {
  assert.equal(escapeHtml(`<a href="x">&'`), "&lt;a href=&quot;x&quot;&gt;&amp;&#39;");
  assert.ok(!scriptJson({ a: "</script><script>alert(1)</script>" }).includes("</script"));
});

/**
 * Runs in the page: for each chart canvas, how many pixels carry a series colour (saturated; the
 * axes and grid are grey, so an empty chart scores ~0).
 */
const PAINTED = `[...document.querySelectorAll(".chart canvas")].map((c) => {
  const p = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
  let ink = 0;
  for (let i = 0; i < p.length; i += 4) {
    if (p[i + 3] > 20 && Math.max(p[i], p[i + 1], p[i + 2]) - Math.min(p[i], p[i + 1], p[i + 2]) > 60) ink++;
  }
  return { ink, total: p.length / 4 };
})`;

Deno.test(
  "report in real headless Chromium: loads offline with no console errors, every chart drew, screenshot",
  requireService("chromium", chromiumAvailability()),
  async () => {
    const dir = await Deno.makeTempDir({ prefix: "report_chromium_" });
    const runDir = join(dir, "20261121T050000Z_bench");
    try {
      const summary = await writeRunDir(runDir);
      const result = await runCli(["report", runDir]);
      assert.equal(result.code, 0, result.stderr);
      const file = join(runDir, "report.html");
      assert.match(result.stdout, /wrote .*report\.html/);
      const html = await Deno.readTextFile(file);
      assert.ok(!/<(script|link|img|iframe)[^>]+(src|href)=/i.test(html), "no external resources");

      const browser = await launchChromium();
      try {
        const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, offline: true });
        const page = await context.newPage();
        const problems: string[] = [];
        const requests: string[] = [];
        page.on("console", (m) => {
          if (m.type() === "error" || m.type() === "warning") problems.push(`${m.type()}: ${m.text()}`);
        });
        page.on("pageerror", (e) => problems.push(`pageerror: ${e}`));
        page.on("request", (r) => {
          if (!r.url().startsWith("file://")) requests.push(r.url());
        });
        await page.goto(`file://${file}`);
        await page.waitForFunction(`document.documentElement.getAttribute("data-charts") !== null`, null, {
          timeout: 30_000,
        });
        const chartIds = await page.$$eval(
          ".chart",
          (nodes) => nodes.map((n) => n.getAttribute("data-chart")),
        );
        assert.deepEqual(chartIds, [
          "rate",
          "latency",
          "errors",
          "distribution",
          "endpoints",
          "cpu",
          "memory",
          "pg",
        ]);
        // every chart painted: its canvas holds a good share of non-transparent pixels
        const painted = await page.evaluate(PAINTED) as { ink: number; total: number }[];
        assert.equal(painted.length, 8);
        for (const [index, p] of painted.entries()) {
          assert.ok(p.ink > p.total * 0.002, `chart ${chartIds[index]} looks blank: ${p.ink}/${p.total}`);
        }
        assert.equal(await page.locator(".chart[data-drawn='1']").count(), 8);
        const table = await page.locator("#endpoints").innerText();
        for (const endpoint of summary.endpoints) assert.ok(table.includes(endpoint.name), endpoint.name);
        assert.match(await page.locator("body").innerText(), /All 3 thresholds met|thresholds crossed/);
        await page.screenshot({ path: join(dir, "report.png"), fullPage: true });
        // zooming one chart (drag across it) zooms every chart to the same range
        const latency = await page.locator("#chart-latency .u-over").boundingBox();
        const y = latency!.y + latency!.height / 2;
        await page.mouse.move(latency!.x + latency!.width * 0.3, y);
        await page.mouse.down();
        await page.mouse.move(latency!.x + latency!.width * 0.6, y, { steps: 8 });
        await page.mouse.up();
        const ranges = await page.$$eval(
          ".chart[data-x='time']",
          (nodes) => nodes.map((n) => n.getAttribute("data-x-range")),
        );
        const [min, max] = ranges[0]!.split(",").map(Number);
        assert.ok(ranges.every((r) => r === ranges[0]), `all charts share the zoomed range: ${ranges}`);
        const full = html.match(/"range":\[([\d.]+),([\d.]+)\]/)!.slice(1, 3).map(Number);
        assert.ok(min > full[0] && max < full[1], `zoomed in: ${min}..${max} inside ${full}`);
        const png = await Deno.stat(join(dir, "report.png"));
        assert.ok(png.size > 50_000, `screenshot ${png.size} bytes`);
        // kept for people to look at (REPORT_SCREENSHOT chooses where)
        const keep = Deno.env.get("REPORT_SCREENSHOT") ??
          join(Deno.env.get("TMPDIR") ?? "/tmp", "moodle-load-report.png");
        await Deno.copyFile(join(dir, "report.png"), keep);
        console.log(`report screenshot: ${keep}`);
        assert.deepEqual(problems, []);
        assert.deepEqual(requests, [], "the page must not touch the network");
      } finally {
        await browser.close();
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);

Deno.test("report: a directory without a summary is one clear line", async () => {
  const dir = await Deno.makeTempDir({ prefix: "report_empty_" });
  try {
    const result = await runCli(["report", dir]);
    assert.equal(result.code, 1);
    assert.match(result.stderr.trim(), /^moodle-load: no load_summary_\*\.json in .* — pass a directory/);
    assert.equal(result.stderr.trim().split("\n").length, 1);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
