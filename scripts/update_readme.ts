/**
 * Keeps README.md's permission table equal to `moodle-load permissions` (`deno task readme`);
 * a test fails when it is stale.
 */
import { permissionTableText } from "../src/commands/permissions.ts";

const START = "<!-- permissions-table -->";
const END = "<!-- /permissions-table -->";

export function withPermissionTable(readme: string): string {
  const start = readme.indexOf(START);
  const end = readme.indexOf(END);
  if (start < 0 || end < start) throw new Error(`README.md lacks the ${START} … ${END} markers`);
  const fence = "```";
  return [
    readme.slice(0, start + START.length),
    "",
    fence,
    permissionTableText(),
    fence,
    "",
    readme.slice(end),
  ].join("\n");
}

if (import.meta.main) {
  const path = new URL("../README.md", import.meta.url);
  await Deno.writeTextFile(path, withPermissionTable(await Deno.readTextFile(path)));
  console.log("README.md permission table updated");
}
