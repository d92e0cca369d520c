import assert from "node:assert/strict";
import denoJson from "../deno.json" with { type: "json" };
import {
  type CommandName,
  compileFlags,
  PERMISSION_KINDS,
  PERMISSIONS,
  permissionsOf,
  undeclaredKinds,
  unionOfAll,
} from "../src/permissions.ts";
import { compileArgs, isRuntimeDownloadFailure, TARGETS } from "../scripts/compile.ts";
import { subcommandTasks } from "../scripts/permission_flags.ts";
import { withPermissionTable } from "../scripts/update_readme.ts";
import { runCli } from "./helpers/cli.ts";

const COMMANDS = Object.keys(PERMISSIONS) as CommandName[];

/** Arguments that get each subcommand past parsing, so its permissions are dropped and probed. */
const PROBE_ARGS: Record<CommandName, string[]> = {
  "config check": ["config.example.json"],
  "journey import-har": ["probe.har"],
  "permissions": [],
  "run": ["--config", "config.example.json"],
  "demo": [],
  "users": ["--count", "1", "--password", "x"],
  "discover": ["--config", "config.example.json"],
  "db snapshot": ["--out", "probe.dump"],
  "db restore": ["--dump", "probe.dump"],
  "docker-stats": ["--all"],
  "pg-stats": [],
  "compare": ["a", "b"],
  "report": ["a"],
  "merge": ["a", "--out", "m"],
  "bench": ["--config", "config.example.json"],
  "bisect": ["--config", "config.example.json"],
};

for (const command of COMMANDS) {
  Deno.test(`'${command}' under the compile flags: undeclared kinds are refused, declared ones work`, async () => {
    const result = await runCli([...command.split(" "), ...PROBE_ARGS[command], "--permission-probe"]);
    assert.equal(result.code, 0, result.stderr);
    const report = JSON.parse(result.stdout.trim().split("\n").at(-1)!);
    assert.equal(report.command, command);
    for (const kind of undeclaredKinds(command)) {
      assert.equal(report.outcomes[kind], "refused", `${command} must not have ${kind}`);
    }
    for (const [kind, grant] of Object.entries(permissionsOf(command))) {
      if (grant.scope === "*") assert.equal(report.outcomes[kind], "allowed", `${command} needs ${kind}`);
    }
  });
}

Deno.test("the compile flags are the union of the table", () => {
  const union = unionOfAll();
  for (const kind of PERMISSION_KINDS) {
    const anyDeclares = COMMANDS.some((c) => kind in permissionsOf(c));
    assert.equal(kind in union, anyDeclares, kind);
  }
  for (const target of TARGETS) {
    const args = compileArgs(target);
    for (const flag of compileFlags()) assert.ok(args.includes(flag));
    assert.ok(args.includes(target));
  }
});

Deno.test("deno.json has one task per subcommand with exactly its flags", () => {
  const tasks = denoJson.tasks as Record<string, string>;
  for (const [name, line] of Object.entries(subcommandTasks())) {
    assert.equal(tasks[name], line, `task ${name} is stale: run \`deno task tasks\``);
  }
});

Deno.test("permissions prints the table", async () => {
  const result = await runCli(["permissions"]);
  assert.equal(result.code, 0, result.stderr);
  for (const command of COMMANDS) assert.ok(result.stdout.includes(command));
  const json = JSON.parse((await runCli(["permissions", "--json"])).stdout);
  assert.deepEqual(json.compile_flags, compileFlags());
});

Deno.test("compile: a failed runtime download is recognised; offline it exits non-zero with one line", async () => {
  assert.ok(isRuntimeDownloadFailure("error: dns error: failed to lookup address information"));
  assert.ok(!isRuntimeDownloadFailure("error: Module not found main2.ts"));
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["task", "--quiet", "compile", "x86_64-unknown-linux-gnu"],
    cwd: new URL("../", import.meta.url).pathname,
    env: { DENORT_BIN: "" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(output.stderr).trim();
  if (output.success) return; // a connected machine: the binary was built
  assert.equal(stderr.split("\n").length, 1, stderr);
  assert.match(stderr, /cannot download Deno's runtime/);
});

Deno.test("README's permission table is the one `moodle-load permissions` prints", async () => {
  const readme = await Deno.readTextFile(new URL("../README.md", import.meta.url));
  assert.equal(readme, withPermissionTable(readme), "README.md is stale: run `deno task readme`");
});
