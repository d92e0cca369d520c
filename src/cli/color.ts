/**
 * Whether commander may keep ANSI colour in what it writes. Commander's own check reads NO_COLOR,
 * FORCE_COLOR and CLICOLOR_FORCE through process.env, and Deno refuses CLICOLOR_FORCE to a subcommand
 * without --allow-env (`deno task compare --help` crashed). Same rules, minus the unreadable variables.
 */
import { envIfAllowed } from "../util/env.ts";

export function hasColors(stream: { isTerminal(): boolean }): boolean {
  const noColor = envIfAllowed("NO_COLOR");
  const forceColor = envIfAllowed("FORCE_COLOR");
  if (noColor || forceColor === "0" || forceColor === "false") return false;
  if (forceColor || envIfAllowed("CLICOLOR_FORCE") !== undefined) return true;
  return stream.isTerminal();
}
