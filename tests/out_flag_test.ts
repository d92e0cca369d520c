/** The output folder flag is `--out` everywhere; the seed's `--stats-dir` and `--outdir` still work, unlisted. */
import assert from "node:assert/strict";
import type { CommandUnknownOpts } from "@commander-js/extra-typings";
import { buildProgram } from "../src/cli/program.ts";

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

Deno.test("--stats-dir (run, demo) and --outdir (docker-stats, pg-stats) still choose the folder; the later flag wins", async () => {
  const out = async (name: string, args: string[]) => (await parsed(name, args)).out;
  assert.equal(await out("demo", ["--stats-dir", "old"]), "old");
  assert.equal(await out("demo", ["--out", "new"]), "new");
  assert.equal(await out("demo", []), "stats", "the default");
  assert.equal(await out("run", ["--config", "c.json", "--stats-dir", "old"]), "old");
  assert.equal(await out("run", ["--config", "c.json", "--stats-dir", "old", "--out", "new"]), "new");
  assert.equal(await out("run", ["--config", "c.json", "--out", "new", "--stats-dir", "old"]), "old");
  assert.equal(await out("docker-stats", ["--all", "--outdir", "old"]), "old");
  assert.equal(await out("pg-stats", ["--outdir", "old"]), "old");
  assert.equal(await out("pg-stats", ["--out", "new"]), "new");
});
