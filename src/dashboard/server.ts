/**
 * `run --dashboard [HOST:]PORT`: a small HTTP server inside the run, served by Deno itself —
 * `/metrics` (Prometheus text format), `/` (the live page), `/events` (Server-Sent Events, one
 * message a second). Read-only, no external resources; binds 127.0.0.1 unless told otherwise.
 */
import type { LiveStats, TimelinePoint } from "../engine/engine.ts";
import { percentileMs } from "../engine/histogram.ts";
import { EXIT, UserError } from "../errors.ts";
import { liveCharts } from "../report/charts.ts";
import { type ListenAddress, listenUrl } from "./listen.ts";
import { LiveMetrics } from "./metrics.ts";
import { dashboardPage } from "./page.ts";

export interface DashboardOptions {
  listen: ListenAddress;
  baseUrl: string;
  endpointNames: readonly string[];
  warmupSec: number;
  /** After the run finished, keep serving this long (a last Prometheus scrape, a last look). */
  lingerMs: number;
}

export interface Dashboard {
  /** The URL it listens on (the real port when 0 was asked for). */
  url: string;
  /** The engine's onSecond. */
  onSecond: (point: TimelinePoint, live: LiveStats) => void;
  /** The run finished and its summary is written: `moodle_load_finished 1`, the page stops. */
  finish(): void;
  /** Stop serving (after the linger when the run finished). */
  close(): Promise<void>;
}

const encoder = new TextEncoder();

/** The message the page gets each second: charts so far and the headline figures. */
function eventOf(metrics: LiveMetrics, warmupSec: number, live: LiveStats | undefined): unknown {
  const first = metrics.timeline[0];
  const last = metrics.last;
  const startEpochMs = first ? first.epoch_ms - first.span_sec * 1000 : Date.now();
  const overall = live?.overall;
  return {
    charts: liveCharts(metrics.timeline, startEpochMs, warmupSec),
    status: {
      t_sec: last?.t_sec ?? 0,
      warmup: Boolean(last?.warmup),
      finished: metrics.finished,
      total: overall?.total ?? 0,
      failures: overall?.failures ?? 0,
      rate_rpm: last && last.span_sec > 0 ? last.total * 60 / last.span_sec : 0,
      target_rpm: last?.target_rpm ?? 0,
      p50: last?.latency_ms_p50 ?? 0,
      p95: last?.latency_ms_p95 ?? 0,
      p99: last?.latency_ms_p99 ?? 0,
      max: last?.latency_ms_max ?? 0,
      p95_overall: overall ? percentileMs(overall.latency, 95) : 0,
      in_flight: last?.in_flight ?? 0,
    },
  };
}

/**
 * Long because the server is one closure: its handlers (page, /metrics, /events) and the per-second
 * broadcast share the client set and the latest statistics; splitting it would pass them all around.
 */
export function startDashboard(options: DashboardOptions): Dashboard {
  const metrics = new LiveMetrics(options.endpointNames);
  const clients = new Set<ReadableStreamDefaultController<Uint8Array>>();
  let live: LiveStats | undefined;
  const page = dashboardPage(options.baseUrl);
  const message = () =>
    encoder.encode(`data: ${JSON.stringify(eventOf(metrics, options.warmupSec, live))}\n\n`);
  const broadcast = () => {
    if (!clients.size) return;
    const bytes = message();
    for (const client of clients) {
      try {
        client.enqueue(bytes);
      } catch {
        clients.delete(client); // the page went away
      }
    }
  };

  const handler = (request: Request): Response => {
    const path = new URL(request.url).pathname;
    if (request.method !== "GET" && request.method !== "HEAD") {
      return new Response("read-only\n", { status: 405 });
    }
    if (path === "/metrics") {
      return new Response(metrics.prometheus(), {
        headers: { "content-type": "text/plain; version=0.0.4; charset=utf-8" },
      });
    }
    if (path === "/events") {
      let self: ReadableStreamDefaultController<Uint8Array>;
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          self = controller;
          clients.add(controller);
          controller.enqueue(message());
        },
        cancel() {
          clients.delete(self);
        },
      });
      return new Response(body, {
        headers: { "content-type": "text/event-stream", "cache-control": "no-store" },
      });
    }
    if (path === "/") return new Response(page, { headers: { "content-type": "text/html; charset=utf-8" } });
    // Browsers ask for it on their own: no icon, and no 404 in the page's console.
    if (path === "/favicon.ico") return new Response(null, { status: 204 });
    return new Response("not found: try /, /metrics or /events\n", { status: 404 });
  };

  let server: Deno.HttpServer<Deno.NetAddr>;
  try {
    server = Deno.serve({ ...options.listen, onListen: () => {} }, handler);
  } catch (error) {
    throw new UserError(
      `--dashboard ${options.listen.hostname}:${options.listen.port}: cannot listen (${
        (error as Error).message
      }) — choose another port or host`,
      EXIT.usage,
    );
  }
  return {
    url: listenUrl({ hostname: options.listen.hostname, port: server.addr.port }),
    onSecond: (point, stats) => {
      live = stats;
      metrics.update(point, stats);
      broadcast();
    },
    finish: () => {
      metrics.finished = true;
      broadcast();
    },
    close: async () => {
      if (metrics.finished && options.lingerMs > 0) await new Promise((r) => setTimeout(r, options.lingerMs));
      for (const client of clients) {
        try {
          client.close();
        } catch { /* already closed */ }
      }
      clients.clear();
      await server.shutdown();
    },
  };
}
