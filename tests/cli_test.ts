import assert from "node:assert/strict";
import denoJson from "../deno.json" with { type: "json" };
import { runCli } from "./helpers/cli.ts";

Deno.test("--help lists the subcommands with examples", async () => {
  const result = await runCli(["--help"]);
  assert.equal(result.code, 0);
  for (const command of ["config", "permissions"]) {
    assert.match(result.stdout, new RegExp(`\\n  ${command}\\b`));
  }
  assert.match(result.stdout, /Examples:/);
});

Deno.test("--version prints the version from deno.json", async () => {
  const result = await runCli(["--version"]);
  assert.equal(result.code, 0);
  assert.equal(result.stdout.trim(), denoJson.version);
});

Deno.test("unknown subcommand or option: one line with a suggestion, exit 2", async () => {
  for (const args of [["permisions"], ["--versoin"], ["config", "chek", "x"]]) {
    const result = await runCli(args);
    assert.equal(result.code, 2, args.join(" "));
    const lines = result.stderr.trim().split("\n");
    assert.equal(lines.length, 1, result.stderr);
    assert.match(lines[0], /Did you mean/);
  }
});

Deno.test("usage errors name the subcommand and its --help; a missing subcommand is exit 2", async () => {
  const unknown = await runCli(["run", "--config", "x.json", "--rpms", "5"]);
  assert.equal(unknown.code, 2);
  assert.match(
    unknown.stderr.trim(),
    /^moodle-load run: unknown option '--rpms' .*see `moodle-load run --help`$/,
  );
  const bare = await runCli(["db"]);
  assert.equal(bare.code, 2, "db without snapshot/restore is a usage error");
  assert.match(bare.stderr, /snapshot/);
  assert.equal((await runCli(["help", "db"])).code, 0);
});
