/**
 * Every subcommand task prints its help under exactly the permissions its deno.json task declares, with
 * the environment a user has (no NO_COLOR): commander used to read CLICOLOR_FORCE and crash without env.
 */
import assert from "node:assert/strict";
import denoJson from "../deno.json" with { type: "json" };
import { ROOT } from "./helpers/cli.ts";

/** A user's environment without the colour variables the test runner may set. */
function plainEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of ["PATH", "HOME", "DENO_DIR", "XDG_CACHE_HOME"]) {
    const value = Deno.env.get(name);
    if (value !== undefined) env[name] = value;
  }
  return { ...env, ...extra };
}

async function denoRun(args: string[], env: Record<string, string>) {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", ...args],
    cwd: ROOT,
    env,
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
  }).output();
  const decoder = new TextDecoder();
  return { code: output.code, stdout: decoder.decode(output.stdout), stderr: decoder.decode(output.stderr) };
}

/** `deno run <flags> main.ts <subcommand…>` tasks, as [task name, arguments after `deno run`]. */
const SUBCOMMAND_TASKS = Object.entries(denoJson.tasks as Record<string, string>)
  .filter(([, line]) => line.startsWith("deno run ") && line.includes(" main.ts"))
  .map(([name, line]) => [name, line.slice("deno run ".length).split(" ")] as const);

Deno.test("deno.json has a task per subcommand to check", () => {
  assert.ok(SUBCOMMAND_TASKS.length >= 13, SUBCOMMAND_TASKS.map(([name]) => name).join(", "));
});

for (const [task, args] of SUBCOMMAND_TASKS) {
  Deno.test(`deno task ${task} --help: usage on stdout, exit 0, under the task's own flags`, async () => {
    for (const env of [plainEnv(), plainEnv({ CLICOLOR_FORCE: "1" })]) {
      const result = await denoRun([...args, "--help"], env);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, /^Usage: moodle-load \S/, result.stdout);
      assert.doesNotMatch(result.stderr, /NotCapable|Requires env access/);
    }
  });
}

Deno.test("the program and the group commands print help with no permission at all", async () => {
  for (const args of [["--help"], ["db", "--help"], ["config", "--help"], ["help", "run"]]) {
    const result = await denoRun(["--no-prompt", "main.ts", ...args], plainEnv());
    assert.equal(result.code, 0, `${args.join(" ")}: ${result.stderr}`);
    assert.match(result.stdout, /^Usage: moodle-load/, args.join(" "));
  }
});

Deno.test("a usage error under a task's own flags is one line, not a permission crash", async () => {
  const result = await denoRun(["--no-prompt", "--allow-read", "main.ts", "compare", "--bogus"], plainEnv());
  assert.equal(result.code, 2, result.stderr);
  assert.match(result.stderr.trim(), /^moodle-load compare: unknown option '--bogus'/);
});
