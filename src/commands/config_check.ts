/** `moodle-load config check FILE`: validate and print a resolved summary. */
import { renderTable } from "../output/table.ts";
import { redactUrl } from "../util/redact.ts";
import { ConfigError, configUserError, loadConfig } from "../config/load.ts";
import { type ConfigSummary, summarizeConfig } from "../config/resolve.ts";

export function formatSummary(summary: ConfigSummary): string {
  const endpoints = renderTable(
    ["Endpoint", "Path", "Weight", "Share"],
    summary.endpoints.map((e) => [e.name, e.path, e.weight, `${(e.share * 100).toFixed(1)} %`]),
    { align: ["left", "left", "right", "right"] },
  );
  const parameters = summary.parameters.length
    ? renderTable(
      ["Parameter", "Min", "Max", "Values"],
      summary.parameters.map((p) => [`{${p.name}}`, p.min, p.max, p.values]),
    )
    : "  (no parameters)";
  return [
    `Base URL:   ${redactUrl(summary.baseUrl)}`,
    `Login page: ${redactUrl(summary.loginUrl)}`,
    `Users:      ${summary.users}`,
    "",
    "URL mix:",
    endpoints,
    "",
    "Parameters:",
    parameters,
  ].join("\n");
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
  };
}

export async function checkConfig(file: string, options: { json?: boolean }): Promise<void> {
  try {
    const summary = summarizeConfig(await loadConfig(file));
    console.log(
      options.json
        ? JSON.stringify(summaryJson(summary), null, 2)
        : `${file}: OK\n\n${formatSummary(summary)}`,
    );
  } catch (error) {
    if (error instanceof ConfigError) throw configUserError(error, "all");
    throw error;
  }
}
