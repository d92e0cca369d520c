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
