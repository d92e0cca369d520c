/**
 * The report of a real run (the CLI against the demo site, 3 % errors, 5 % slow pages) in headless
 * Chromium: the per-second latency band, the HDR distribution and the error table drew, the log toggle
 * redraws, and the page logs no error.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { runCli } from "./helpers/cli.ts";
import { chromiumAvailability, launchChromium } from "./helpers/browser.ts";
import { requireService } from "./helpers/services.ts";
import { demoRun } from "./helpers/demo_run.ts";
import { OVERFLOW } from "./helpers/overflow.ts";

/** Per chart canvas: pixels carrying a saturated (series) colour; axes and grid are grey. */
const INK = `Object.fromEntries([...document.querySelectorAll(".chart")].map((host) => {
  const c = host.querySelector("canvas");
  const p = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
  let ink = 0;
  for (let i = 0; i < p.length; i += 4) {
    if (p[i + 3] > 20 && Math.max(p[i], p[i + 1], p[i + 2]) - Math.min(p[i], p[i + 1], p[i + 2]) > 60) ink++;
  }
  return [host.getAttribute("data-chart"), ink / (p.length / 4)];
}))`;

Deno.test(
  "report of a real demo run in Chromium: latency band, distribution, error table, log toggle, no console error",
  requireService("chromium", chromiumAvailability()),
  async () => {
    const dir = await Deno.makeTempDir({ prefix: "report_demo_" });
    try {
      const run = await demoRun(dir, 1200, 8, ["--quiet"]);
      assert.ok(run.summary.failures > 0, "the demo's injected 503s are in the run");
      const result = await runCli(["report", run.statsDir]);
      assert.equal(result.code, 0, result.stderr);
      const browser = await launchChromium();
      try {
        const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, offline: true });
        const page = await context.newPage();
        const problems: string[] = [];
        page.on("console", (m) => {
          // The readback warning comes from this test's own getImageData (INK), not from the page.
          if (m.type() === "warning" && m.text().includes("willReadFrequently")) return;
          if (m.type() === "error" || m.type() === "warning") problems.push(`${m.type()}: ${m.text()}`);
        });
        page.on("pageerror", (e) => problems.push(`pageerror: ${e}`));
        await page.goto(`file://${join(run.statsDir, "report.html")}`);
        await page.waitForFunction(`document.documentElement.getAttribute("data-charts") !== null`, null, {
          timeout: 30_000,
        });
        const ink = await page.evaluate(INK) as Record<string, number>;
        assert.deepEqual(Object.keys(ink), [
          "rate",
          "latency",
          "errors",
          "in-flight",
          "distribution",
          "endpoints",
          "endpoint-latency",
          "endpoint-rate",
        ]);
        for (const [id, share] of Object.entries(ink)) {
          assert.ok(share > 0.002, `${id} looks blank: ${share}`);
        }
        assert.equal(await page.locator(".chart[data-drawn='1']").count(), 8);
        // per endpoint: p50/p95/p99 bars of every demo endpoint, the busiest first
        const endpoints = await page.evaluate(
          `JSON.parse(document.getElementById("report-data").textContent).charts.find((c) => c.id === "endpoints")`,
        ) as { categories: string[]; series: { label: string; values: number[] }[] };
        assert.deepEqual(
          endpoints.categories,
          [...run.summary.endpoints].sort((a, b) => b.total - a.total).map((e) => e.name),
        );
        assert.deepEqual(endpoints.series.map((s) => s.label), ["p50", "p95", "p99"]);
        // per endpoint over time: one line per endpoint; a click on its legend entry hides it
        const lines = await page.locator("#chart-endpoint-latency .u-legend .u-series").count();
        assert.equal(lines, run.summary.endpoints.length + 1, "x plus one entry per endpoint");
        const before = (await page.evaluate(INK) as Record<string, number>)["endpoint-latency"];
        await page.locator("#chart-endpoint-latency .u-legend .u-series").nth(1).click();
        const after = (await page.evaluate(INK) as Record<string, number>)["endpoint-latency"];
        assert.ok(after < before, `hiding the busiest endpoint removes its line: ${before} → ${after}`);
        // the latency chart: p50, p95, p99 and max series; the distribution: percentile axis in nines
        const legend = await page.locator("#chart-latency .u-legend").innerText();
        for (const label of ["p50", "p95", "p99", "max"]) assert.ok(legend.includes(label), legend);
        assert.match(await page.locator("#chart-distribution .u-legend").innerText(), /percentile/);
        const distribution = await page.evaluate(
          `JSON.parse(document.getElementById("report-data").textContent).charts.find((c) => c.id === "distribution")`,
        ) as { x: number[]; xKind: string; series: { label: string; values: number[] }[] };
        assert.equal(distribution.xKind, "nines");
        assert.deepEqual([distribution.x[0], distribution.x.at(-1)], [0, 5], "0 to 99.999 %");
        const curve = distribution.series[0].values;
        assert.ok(curve.every((v, k) => k === 0 || v >= curve[k - 1]), "a percentile curve never falls");
        assert.ok(curve.at(-1)! >= 200, `the slow pages (200 ms more) are in the tail: ${curve.at(-1)}`);
        // the error table has counts beside shares
        const errors = await page.locator("#error-classes").innerText();
        assert.match(errors, /http_5xx/);
        assert.match(errors, /\d+ \(\d+\.\d\d%\)/);
        // the failure reasons: the demo's 503s with an example endpoint and path
        const reasons = await page.locator("#failure-reasons").innerText();
        assert.match(reasons, /http_5xx/);
        const example = Object.values(run.summary.error_examples!.http_5xx)[0];
        assert.ok(reasons.includes(example.url), `${example.url} in\n${reasons}`);
        // sortable tables: a header click sorts by that column (raw numbers), a second click reverses;
        // the "all endpoints" row stays last. An endpoint cell sorts by (data-sort) the endpoint's name.
        const firstCells = () =>
          page.$$eval(
            "#endpoints tbody tr td:first-child",
            (cells) => cells.map((c) => c.getAttribute("data-sort") ?? c.textContent ?? ""),
          );
        const names = run.summary.endpoints.map((e) => e.name);
        const byName = [...names].sort((a, b) =>
          a.localeCompare(b, undefined, { numeric: true, sensitivity: "base" })
        );
        await page.locator("#endpoints th", { hasText: "Endpoint" }).click();
        assert.deepEqual((await firstCells()).slice(0, -1), byName, "A to Z");
        assert.equal((await firstCells()).at(-1), "all endpoints");
        assert.equal(await page.locator("#endpoints th").first().getAttribute("aria-sort"), "ascending");
        assert.match(await page.locator("#endpoints th").first().innerText(), /▲/);
        await page.locator("#endpoints th", { hasText: "Endpoint" }).click();
        assert.deepEqual((await firstCells()).slice(0, -1), byName.reverse(), "Z to A");
        assert.match(await page.locator("#endpoints th").first().innerText(), /▼/);
        // p95 (numeric): the slowest endpoint first, by its raw value ("9.5 ms" is no more than "212 ms")
        await page.locator("#endpoints th", { hasText: /^p95/ }).click();
        const slowest = Math.max(...run.summary.endpoints.map((e) => e.latency_ms_p95));
        const top = (await firstCells())[0];
        const first = run.summary.endpoints.find((e) => e.name === top)!;
        assert.equal(first.latency_ms_p95, slowest, `${first.name} is the slowest at p95`);
        const p95s = await page.$$eval(
          "#endpoints tbody tr:not([data-pinned]) td:nth-child(6)",
          (cells) => cells.map((c) => Number(c.getAttribute("data-sort"))),
        );
        assert.deepEqual(p95s, [...p95s].sort((a, b) => b - a), "largest first");
        // log toggle: the chart is drawn again on a log axis
        await page.locator("input[data-log-for='latency']").check();
        await page.waitForFunction(
          `document.querySelector("#chart-latency").getAttribute("data-log") === "1" && ` +
            `document.querySelector("#chart-latency").getAttribute("data-drawn") === "1"`,
        );
        const logInk = await page.evaluate(INK) as Record<string, number>;
        assert.ok(logInk.latency > 0.002, `log latency chart looks blank: ${logInk.latency}`);
        assert.notEqual(logInk.latency, ink.latency, "a log axis draws a different picture");
        // at 1280 px no table scrolls sideways and neither does the page
        await page.setViewportSize({ width: 1280, height: 900 });
        await page.waitForTimeout(300);
        const overflow = await page.evaluate(OVERFLOW) as { tables: string[]; page: number };
        assert.deepEqual(overflow, { tables: [], page: 0 }, "no horizontal overflow at 1280 px");
        await page.screenshot({ path: join(dir, "report.png"), fullPage: true });
        const keep = Deno.env.get("REPORT_DEMO_SCREENSHOT") ??
          join(Deno.env.get("TMPDIR") ?? "/tmp", "moodle-load-report-demo.png");
        await Deno.copyFile(join(dir, "report.png"), keep);
        console.log(`report screenshot: ${keep}`);
        assert.deepEqual(problems, []);
      } finally {
        await browser.close();
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);
