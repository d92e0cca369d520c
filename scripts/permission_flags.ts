/**
 * Prints the `deno run` permission flags of one subcommand (or `--compile` for the union), straight
 * from src/permissions.ts. deno.json's per-subcommand tasks are generated from it: `deno task tasks`
 * rewrites them and a test fails when they are stale.
 */
import { type CommandName, compileFlags, isCommandName, PERMISSIONS, runFlags } from "../src/permissions.ts";

/** Subcommands whose task name would clash with a project task (`deno task bench` runs the benchmarks). */
export const TASK_NAMES: Partial<Record<CommandName, string>> = { "bench": "bench-run" };

/** The task name and command line for every subcommand. */
export function subcommandTasks(): Record<string, string> {
  return Object.fromEntries(
    (Object.keys(PERMISSIONS) as CommandName[]).map((command) => [
      TASK_NAMES[command] ?? command.replaceAll(" ", "-"),
      ["deno", "run", "--no-prompt", ...runFlags(command), "main.ts", command].join(" "),
    ]),
  );
}

if (import.meta.main) {
  const [arg] = Deno.args;
  if (arg === "--compile") console.log(compileFlags().join(" "));
  else if (arg === "--write-tasks") {
    const path = new URL("../deno.json", import.meta.url);
    const denoJson = JSON.parse(await Deno.readTextFile(path));
    denoJson.tasks = { ...denoJson.tasks, ...subcommandTasks() };
    await Deno.writeTextFile(path, JSON.stringify(denoJson, null, 2) + "\n");
    console.log("deno.json tasks updated");
  } else if (arg && isCommandName(arg)) console.log(runFlags(arg).join(" "));
  else {
    console.error(`usage: permission_flags.ts --compile | --write-tasks | <subcommand>`);
    Deno.exit(2);
  }
}
