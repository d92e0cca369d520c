/**
 * `run --dashboard`: /metrics in the Prometheus text format during a real run (parsed by an npm
 * parser; its final counters equal the summary file's), and the live page in headless Chromium.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import parsePrometheus from "parse-prometheus-text-format";
import { cliCommand } from "./helpers/cli.ts";
import { closedPort, withDemo } from "./helpers/demo.ts";
import { chromiumAvailability, launchChromium } from "./helpers/browser.ts";
import { requireService } from "./helpers/services.ts";
import { defaultDemoUsers } from "../src/demo/mod.ts";
import { demoRunConfig } from "../src/demo/config.ts";
import { listenUrl, parseListen } from "../src/dashboard/listen.ts";
import { BUCKETS_SEC, LiveMetrics } from "../src/dashboard/metrics.ts";
import { Stats } from "../src/engine/stats.ts";
import { ERROR_INDEX } from "../src/engine/stats.ts";
import type { TimelinePoint } from "../src/engine/timeline.ts";
import type { FullRunSummary } from "../src/results/summary.ts";

interface Family {
  name: string;
  type: string;
  metrics: {
    value?: string;
    labels?: Record<string, string>;
    buckets?: Record<string, string>;
    count?: string;
  }[];
}

function parse(text: string): Map<string, Family> {
  return new Map((parsePrometheus(text) as Family[]).map((f) => [f.name, f]));
}

function gauge(families: Map<string, Family>, name: string): number {
  return Number(families.get(name)!.metrics[0].value);
}

Deno.test("--dashboard addresses: PORT on 127.0.0.1, HOST:PORT, [v6]:PORT; nonsense refused", () => {
  assert.deepEqual(parseListen("9464"), { hostname: "127.0.0.1", port: 9464 });
  assert.deepEqual(parseListen("0.0.0.0:9464"), { hostname: "0.0.0.0", port: 9464 });
  assert.deepEqual(parseListen("[::1]:9464"), { hostname: "::1", port: 9464 });
  assert.equal(parseListen("70000"), undefined);
  assert.equal(parseListen("host:"), undefined);
  assert.equal(listenUrl({ hostname: "::1", port: 1 }), "http://[::1]:1/");
});

Deno.test("metrics text: counters by endpoint and class, cumulative le buckets, gauges; labels escaped", () => {
  const metrics = new LiveMetrics(['course "x"', "forum"]);
  const overall = new Stats();
  const endpoints = [new Stats(), new Stats()];
  const record = (k: number, ms: number, error = -1) => {
    for (const stats of [overall, endpoints[k]]) {
      stats.record(ms * 1000, ms * 1000, error < 0 ? 200 : 503, 10, error, undefined);
    }
  };
  record(0, 3);
  record(0, 40);
  record(0, 900, ERROR_INDEX.http_5xx);
  record(1, 70);
  const point = { t_sec: 2, span_sec: 1, total: 4, target_rpm: 240, in_flight: 1 } as TimelinePoint;
  metrics.update(point, { overall, endpoints });
  const text = metrics.prometheus();
  const families = parse(text);
  const requests = families.get("moodle_load_requests_total")!;
  assert.equal(requests.type, "COUNTER");
  assert.deepEqual(requests.metrics.map((m) => [m.labels!.endpoint, m.labels!.class, m.value]), [
    ['course "x"', "ok", "2"],
    ['course "x"', "http_5xx", "1"],
    ["forum", "ok", "1"],
  ]);
  assert.match(
    text,
    /moodle_load_request_duration_seconds_bucket\{endpoint="course \\"x\\"",le="0\.005"\} 1\n/,
  );
  assert.match(
    text,
    /moodle_load_request_duration_seconds_bucket\{endpoint="course \\"x\\"",le="0\.05"\} 2\n/,
  );
  assert.match(text, /moodle_load_request_duration_seconds_bucket\{endpoint="course \\"x\\"",le="1"\} 3\n/);
  const run = families.get("moodle_load_run_request_duration_seconds")!.metrics[0];
  assert.equal(run.count, "4");
  assert.equal(run.buckets!["0.1"], "3");
  assert.equal(run.buckets!["+Inf"], "4");
  assert.equal(Object.keys(run.buckets!).length, BUCKETS_SEC.length + 1);
  assert.equal(gauge(families, "moodle_load_target_requests_per_second"), 4);
  assert.equal(gauge(families, "moodle_load_achieved_requests_per_second"), 4);
  assert.equal(gauge(families, "moodle_load_in_flight"), 1);
  assert.equal(gauge(families, "moodle_load_finished"), 0);
});

/** `run --dashboard PORT` against a fresh demo site; `fn` talks to the dashboard while it runs. */
async function withDashboardRun(
  durationSec: number,
  fn: (base: string) => Promise<void>,
): Promise<
  {
    code: number;
    stderr: string;
    summary: FullRunSummary;
  }
> {
  const dir = await Deno.makeTempDir({ prefix: "dashboard_" });
  try {
    let out: { code: number; stderr: string; summary: FullRunSummary } | undefined;
    await withDemo(
      { users: defaultDemoUsers(4), pageBytes: 5_000, latencyMs: 10, errorRate: 0.05 },
      async (demo) => {
        const config = join(dir, "site.json");
        await Deno.writeTextFile(
          config,
          JSON.stringify(demoRunConfig({ url: demo.url, users: defaultDemoUsers(4) })),
        );
        const port = closedPort();
        const child = cliCommand([
          "run",
          "--config",
          config,
          "--rpm",
          "1200",
          "--duration",
          String(durationSec),
          "--stats-dir",
          join(dir, "stats"),
          "--quiet",
          "--dashboard",
          String(port),
          "--dashboard-linger",
          "4",
        ]).spawn();
        const output = child.output();
        const base = `http://127.0.0.1:${port}/`;
        const started = Date.now();
        while (
          !(await fetch(base + "metrics").then((r) => r.body?.cancel().then(() => r.ok)).catch(() => false))
        ) {
          assert.ok(Date.now() - started < 30_000, "the dashboard never answered");
          await new Promise((r) => setTimeout(r, 100));
        }
        await fn(base);
        const done = await output;
        const stderr = new TextDecoder().decode(done.stderr);
        const name = [...Deno.readDirSync(join(dir, "stats"))].find((e) => e.name.endsWith(".json"))!.name;
        out = {
          code: done.code,
          stderr,
          summary: JSON.parse(await Deno.readTextFile(join(dir, "stats", name))),
        };
      },
    );
    return out!;
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("run --dashboard: /metrics parses during the run, grows, and its final counters equal the summary's", async () => {
  const scrapes: Map<string, Family>[] = [];
  const result = await withDashboardRun(5, async (base) => {
    for (let i = 0; i < 200; i++) {
      const response = await fetch(base + "metrics");
      assert.match(response.headers.get("content-type")!, /^text\/plain; version=0\.0\.4/);
      const families = parse(await response.text());
      scrapes.push(families);
      if (gauge(families, "moodle_load_finished") === 1) return;
      await new Promise((r) => setTimeout(r, 250));
    }
    assert.fail("the run never finished");
  });
  assert.equal(result.code, 0, result.stderr);
  const counts = scrapes.map((s) =>
    Number(s.get("moodle_load_run_request_duration_seconds")!.metrics[0].count ?? 0)
  );
  assert.ok(
    counts.some((c, k) => k > 0 && c > counts[k - 1] && c < counts.at(-1)!),
    `grew during the run: ${counts}`,
  );
  const final = scrapes.at(-1)!;
  const summary = result.summary;
  const byKey = new Map(
    final.get("moodle_load_requests_total")!.metrics.map((
      m,
    ) => [`${m.labels!.endpoint}/${m.labels!.class}`, Number(m.value)]),
  );
  let sum = 0;
  for (const endpoint of summary.endpoints) {
    assert.equal(byKey.get(`${endpoint.name}/ok`), endpoint.success, endpoint.name);
    for (const [errorClass, count] of Object.entries(endpoint.errors)) {
      assert.equal(byKey.get(`${endpoint.name}/${errorClass}`), count, `${endpoint.name} ${errorClass}`);
    }
    sum += endpoint.total;
  }
  assert.equal([...byKey.values()].reduce((a, b) => a + b, 0), summary.total);
  assert.equal(sum, summary.total);
  const run = final.get("moodle_load_run_request_duration_seconds")!.metrics[0];
  assert.equal(Number(run.count), summary.total);
  assert.equal(Number(run.buckets!["+Inf"]), summary.total);
  assert.ok(summary.total > 50, `${summary.total}`);
});

Deno.test(
  "run --dashboard: the live page in headless Chromium updates its figures and charts each second",
  requireService("chromium", chromiumAvailability()),
  async () => {
    const result = await withDashboardRun(8, async (base) => {
      const browser = await launchChromium();
      try {
        const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
        const problems: string[] = [];
        page.on("console", (m) => {
          if (m.type() === "error") problems.push(m.text());
        });
        page.on("pageerror", (e) => problems.push(String(e)));
        const external: string[] = [];
        page.on("request", (r) => {
          if (!r.url().startsWith(base)) external.push(r.url());
        });
        await page.goto(base);
        await page.waitForFunction(
          `Number(document.documentElement.getAttribute("data-updates")) >= 2`,
          null,
          {
            timeout: 20_000,
          },
        );
        const first = await page.locator("#live-total").innerText();
        const firstUpdates = Number(await page.locator("html").getAttribute("data-updates"));
        await page.waitForTimeout(2_500);
        const second = await page.locator("#live-total").innerText();
        assert.ok(Number(await page.locator("html").getAttribute("data-updates")) >= firstUpdates + 2);
        assert.notEqual(first, second, "the request count moved between two reads");
        assert.ok(Number(second) > Number(first));
        for (const id of ["rate", "latency", "errors"]) {
          assert.equal(await page.locator(`#chart-${id}`).getAttribute("data-drawn"), "1", id);
        }
        await page.screenshot({ path: join(Deno.env.get("TMPDIR") ?? "/tmp", "moodle-load-dashboard.png") });
        assert.deepEqual(problems, []);
        assert.deepEqual(external, [], "the page loads nothing from elsewhere");
      } finally {
        await browser.close();
      }
    });
    assert.equal(result.code, 0, result.stderr);
  },
);

Deno.test("demo --dashboard PORT: /metrics answers during the demo and its final counters equal the summary's", async () => {
  const dir = await Deno.makeTempDir({ prefix: "dashboard_demo_" });
  try {
    const port = closedPort();
    const child = cliCommand(
      [
        "demo",
        "--duration",
        "4",
        "--quiet",
        "--out",
        "stats",
        "--dashboard",
        String(port),
        "--dashboard-linger",
        "3",
      ],
      { cwd: dir },
    ).spawn();
    const output = child.output();
    const base = `http://127.0.0.1:${port}/`;
    const scrapes: Map<string, Family>[] = [];
    const started = Date.now();
    while (Date.now() - started < 60_000) {
      const text = await fetch(base + "metrics").then((r) => r.ok ? r.text() : undefined).catch(() =>
        undefined
      );
      if (text !== undefined) {
        const families = parse(text);
        scrapes.push(families);
        if (gauge(families, "moodle_load_finished") === 1) break;
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    const done = await output;
    const stdout = new TextDecoder().decode(done.stdout);
    assert.equal(done.code, 0, new TextDecoder().decode(done.stderr));
    assert.match(stdout, new RegExp(`Dashboard: http://127\\.0\\.0\\.1:${port}/`));
    assert.ok(scrapes.length >= 3, `scraped ${scrapes.length} times`);
    const final = scrapes.at(-1)!;
    assert.equal(gauge(final, "moodle_load_finished"), 1, "the last scrape came after the run");
    const name = [...Deno.readDirSync(join(dir, "stats"))].find((e) => e.name.endsWith(".json"))!.name;
    const summary: FullRunSummary = JSON.parse(await Deno.readTextFile(join(dir, "stats", name)));
    const counted = final.get("moodle_load_requests_total")!.metrics.reduce(
      (sum, m) => sum + Number(m.value),
      0,
    );
    assert.equal(counted, summary.total);
    assert.ok(summary.total > 40, `${summary.total}`);
    const running = scrapes.map((s) =>
      Number(s.get("moodle_load_run_request_duration_seconds")!.metrics[0].count ?? 0)
    );
    assert.ok(running.some((c) => c > 0 && c < summary.total), `a scrape during the run: ${running}`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
