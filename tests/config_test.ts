import assert from "node:assert/strict";
import { ConfigError, parseConfigText, validateConfig } from "../src/config/load.ts";
import { summarizeConfig } from "../src/config/resolve.ts";
import { schemaText } from "../scripts/write_schema.ts";
import { ROOT, runCli } from "./helpers/cli.ts";

const pythonToolConfig = {
  base_url: "https://moodle.example.org/moodle",
  login_path: "/login/index.php",
  users: [{ username: "u1", password: "secret-pw-1" }, { username: "u2", password: "secret-pw-2" }],
  parameters: { courseid: { min: 2, max: 4 } },
  urls: [{ path: "/course/view.php?id={courseid}" }, { path: "/my/", weight: 3 }],
};

function problemsOf(input: unknown): { path: string; message: string }[] {
  try {
    validateConfig(input);
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    return error.problems;
  }
  assert.fail("expected the config to be rejected");
}

Deno.test("the original Python tool's config loads unchanged", () => {
  const config = validateConfig(structuredClone(pythonToolConfig));
  assert.equal(config.base_url, pythonToolConfig.base_url);
  assert.equal(config.users.length, 2);
});

Deno.test("summary resolves the URL mix in % and the login URL under a sub-path", () => {
  const summary = summarizeConfig(validateConfig(structuredClone(pythonToolConfig)));
  assert.equal(summary.loginUrl, "https://moodle.example.org/moodle/login/index.php");
  assert.deepEqual(summary.endpoints.map((e) => e.share), [0.25, 0.75]);
  assert.deepEqual(summary.parameters, [{ name: "courseid", min: 2, max: 4, values: 3 }]);
});

Deno.test("every mistake is reported at once with its JSON path", () => {
  const problems = problemsOf({
    ...pythonToolConfig,
    base_url: "ftp://moodle.example.org",
    parameters: { courseid: { min: 9, max: 4 } },
    urls: [{ path: "/mod/page/view.php?id={cmid}", wieght: 2 }],
  });
  const paths = problems.map((p) => p.path);
  assert.ok(paths.includes("$.base_url"), JSON.stringify(problems));
  assert.ok(paths.includes("$.parameters.courseid"));
  assert.ok(paths.includes("$.urls[0].path"));
  assert.ok(paths.includes("$.urls[0].wieght"));
  const unknown = problems.find((p) => p.path === "$.urls[0].wieght")!;
  assert.match(unknown.message, /did you mean "weight"/);
  assert.match(problems.find((p) => p.path === "$.urls[0].path")!.message, /\{cmid\} has no range/);
  assert.match(
    problems.find((p) => p.path === "$.parameters.courseid")!.message,
    /min \(9\) is greater than max \(4\)/,
  );
});

Deno.test("empty users and urls, wrong types and unknown top-level keys are errors", () => {
  const problems = problemsOf({ ...pythonToolConfig, users: [], urls: [], seed: "x", user: [] });
  const byPath = new Map(problems.map((p) => [p.path, p.message]));
  assert.match(byPath.get("$.users")!, /at least one user/);
  assert.match(byPath.get("$.urls")!, /at least one URL/);
  assert.match(byPath.get("$.seed")!, /expected number, found string "x"/);
  assert.match(byPath.get("$.user")!, /did you mean "users"/);
});

Deno.test("malformed JSON is one problem at $", () => {
  assert.throws(() => parseConfigText("{ nope", "bad.json"), (error: unknown) => {
    assert.ok(error instanceof ConfigError);
    assert.equal(error.problems[0].path, "$");
    assert.match(error.problems[0].message, /not valid JSON/);
    return true;
  });
});

Deno.test("malformed JSON: line and column, one line, and never a slice of the text (passwords)", () => {
  const text = '{\n  "users": [{ "username": "u", "password": "S3cret-pw" "x": 1 }]\n}';
  assert.throws(() => parseConfigText(text, "bad.json"), (error: unknown) => {
    assert.ok(error instanceof ConfigError);
    const message = error.problems[0].message;
    assert.match(message, /line 2, column 56: ',' expected/);
    assert.doesNotMatch(message, /S3cret|\n/);
    return true;
  });
});

Deno.test("config.schema.json is generated from the schema and not stale", async () => {
  const committed = await Deno.readTextFile(`${ROOT}config.schema.json`);
  assert.equal(committed, schemaText(), "config.schema.json is stale: run `deno task schema`");
});

Deno.test("CLI: config check config.example.json prints the summary and never the passwords", async () => {
  const result = await runCli(["config", "check", "config.example.json"]);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /Users:\s+3/);
  assert.match(result.stdout, /33\.3 %/);
  const json = JSON.parse((await runCli(["config", "check", "config.example.json", "--json"])).stdout);
  assert.equal(json.users, 3);
  assert.deepEqual(json.endpoints.map((e: { share_pct: number }) => e.share_pct), [33.33, 33.33, 33.33]);
  assert.ok(json.login_url.endsWith("/login/index.php"));
  const example = JSON.parse(await Deno.readTextFile(`${ROOT}config.example.json`));
  for (const user of example.users) assert.ok(!result.stdout.includes(user.password));
});

Deno.test("CLI: a config with three mistakes reports all three with paths and exits 2", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const bad = {
      ...pythonToolConfig,
      base_url: "moodle.example.org",
      users: [],
      urls: [{ path: "/x?id={nope}" }],
    };
    await Deno.writeTextFile(`${dir}/bad.json`, JSON.stringify(bad));
    const result = await runCli(["config", "check", `${dir}/bad.json`]);
    assert.equal(result.code, 2);
    for (const path of ["$.base_url", "$.users", "$.urls[0].path"]) {
      assert.ok(result.stderr.includes(path), result.stderr);
    }
    assert.ok(!result.stderr.includes("secret-pw"));
    const missing = await runCli(["config", "check", `${dir}/missing.json`]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /file not found/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
