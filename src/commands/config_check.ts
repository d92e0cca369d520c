/** `moodle-load config check FILE`: validate and print a resolved summary. */
import { EXIT, UserError } from "../errors.ts";
import { renderTable } from "../output/table.ts";
import { redactUrl } from "../util/redact.ts";
import { ConfigError, configUserError, loadConfig } from "../config/load.ts";
import { type ConfigSummary, summarizeConfig } from "../config/resolve.ts";
import { emptyPoolMessage } from "../config/pools.ts";
import { describeJourneys } from "../journey/describe.ts";

export function formatSummary(summary: ConfigSummary): string {
  const endpoints = renderTable(
    ["Endpoint", "Path", "Weight", "Share"],
    summary.endpoints.map((e) => [e.name, e.path, e.weight, `${(e.share * 100).toFixed(1)} %`]),
    { align: ["left", "left", "right", "right"] },
  );
  const parameterTables = [
    ...(summary.parameters.length
      ? [renderTable(
        ["Parameter", "Min", "Max", "Values"],
        summary.parameters.map((p) => [`{${p.name}}`, p.min, p.max, p.values]),
      )]
      : []),
    ...(summary.lists.length
      ? [
        renderTable(["Parameter", "Values"], summary.lists.map((l) => [`{${l.name}}`, `${l.values} listed`])),
      ]
      : []),
  ];
  return [
    `Base URL:   ${redactUrl(summary.baseUrl)}`,
    `Login page: ${redactUrl(summary.loginUrl)}`,
    `Users:      ${summary.users}`,
    "",
    "URL mix:",
    endpoints,
    "",
    "Parameters:",
    parameterTables.length
      ? parameterTables.join("\n")
      : summary.pools.length
      ? "  (per-user pools only, below)"
      : "  (no parameters)",
    ...poolLines(summary),
  ].join("\n");
}

/** Per-user pools (sizes over the config's users) and the users `run` would refuse. */
function poolLines(summary: ConfigSummary): string[] {
  const lines: string[] = [];
  if (summary.pools.length) {
    lines.push(
      "Per-user pools (values per user; `moodle-load discover` fills them):",
      renderTable(
        ["Parameter", "Pool", "Users", "Empty", "Min", "Median", "Max"],
        summary.pools.map((p) => [`{${p.name}}`, p.pool, p.users, p.empty, p.min, p.median, p.max]),
      ),
    );
  }
  if (summary.emptyPools.length) {
    lines.push(`warning: ${emptyPoolMessage(summary.emptyPools, summary.users)} (\`run\` refuses this)`);
  }
  return lines;
}

/** The `--json` form: snake_case keys, like every other file the tool writes. */
export function summaryJson(summary: ConfigSummary): Record<string, unknown> {
  return {
    base_url: redactUrl(summary.baseUrl),
    login_url: redactUrl(summary.loginUrl),
    users: summary.users,
    endpoints: summary.endpoints.map((e) => ({
      name: e.name,
      path: e.path,
      weight: e.weight,
      share_pct: Number((e.share * 100).toFixed(2)),
      params: e.params,
    })),
    parameters: summary.parameters,
    lists: summary.lists,
    pools: summary.pools,
    empty_pools: summary.emptyPools,
  };
}

export async function checkConfig(file: string, options: { json?: boolean }): Promise<void> {
  try {
    const config = await loadConfig(file);
    const summary = summarizeConfig(config);
    const journeys = describeJourneys(config);
    console.log(
      options.json
        ? JSON.stringify({ ...summaryJson(summary), journeys: config.journeys ?? [] }, null, 2)
        : `${file}: OK\n\n${formatSummary(summary)}${journeys.map((j) => `\n\n${j}`).join("")}`,
    );
  } catch (error) {
    if (error instanceof ConfigError) throw configUserError(error, "all");
    if (error instanceof Error && /not a regular expression/.test(error.message)) {
      throw new UserError(`${file}: ${error.message} — fix the journey`, EXIT.usage);
    }
    throw error;
  }
}
