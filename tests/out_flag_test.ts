/** The output folder flag is `--out` everywhere; the seed's `--stats-dir` and `--outdir` still work, unlisted. */
import assert from "node:assert/strict";
import type { CommandUnknownOpts } from "@commander-js/extra-typings";
import { buildProgram } from "../src/cli/program.ts";
import { chosenOut } from "../src/cli/out_option.ts";

const FOLDER_COMMANDS = ["run", "demo", "docker-stats", "pg-stats", "bench", "bisect", "merge"];

function sub(name: string): CommandUnknownOpts {
  const command = buildProgram().commands.find((c) => c.name() === name);
  assert.ok(command, name);
  return command as CommandUnknownOpts;
}

/** The options commander hands the action for `args` (the real action is not run). */
async function parsed(name: string, args: string[]): Promise<Record<string, unknown>> {
  const command = sub(name);
  let seen: Record<string, unknown> = {};
  command.action((...values: unknown[]) => {
    seen = values.find((v) => v && typeof v === "object" && !Array.isArray(v)) as Record<string, unknown>;
  });
  command.exitOverride();
  await command.parseAsync(args, { from: "user" });
  return seen;
}

Deno.test("--out is the output folder flag of every subcommand that writes a folder; the old names are hidden", () => {
  for (const name of FOLDER_COMMANDS) {
    const help = sub(name).helpInformation();
    assert.match(help, /--out <dir>/, name);
    assert.doesNotMatch(help, /--stats-dir|--outdir/, name);
  }
});

Deno.test("--stats-dir (run, demo) and --outdir (docker-stats, pg-stats) still choose the folder", async () => {
  assert.equal(chosenOut(await parsed("demo", ["--stats-dir", "old"]) as never), "old");
  assert.equal(chosenOut(await parsed("demo", ["--out", "new"]) as never), "new");
  assert.equal(chosenOut(await parsed("demo", []) as never), "stats", "the default");
  assert.equal(chosenOut(await parsed("run", ["--config", "c.json", "--stats-dir", "old"]) as never), "old");
  assert.equal(chosenOut(await parsed("docker-stats", ["--all", "--outdir", "old"]) as never), "old");
  assert.equal(chosenOut(await parsed("pg-stats", ["--outdir", "old"]) as never), "old");
  assert.equal(chosenOut(await parsed("pg-stats", ["--out", "new"]) as never), "new");
});
