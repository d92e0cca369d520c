/** The one call `run` makes: start the dashboard when `--dashboard` was given, and say where it is. */
import type { ListenAddress } from "./listen.ts";
import { type Dashboard, startDashboard } from "./server.ts";

export type { Dashboard };

export interface DashboardFlags {
  dashboard?: ListenAddress;
  /** Seconds to keep serving after the run. */
  dashboardLinger?: number;
}

export function startRunDashboard(
  flags: DashboardFlags,
  run: { baseUrl: string; endpointNames: readonly string[]; warmupSec: number },
  say: (line: string) => void,
): Dashboard | undefined {
  if (!flags.dashboard) return undefined;
  const dashboard = startDashboard({
    listen: flags.dashboard,
    ...run,
    lingerMs: (flags.dashboardLinger ?? 0) * 1000,
  });
  say(`Dashboard: ${dashboard.url} (Prometheus metrics: ${dashboard.url}metrics)`);
  return dashboard;
}
