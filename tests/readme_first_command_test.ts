/**
 * The README's first command (`npx -y deno@2.9.6 task demo`) on a fresh clone prints no warning. Deno
 * warns about ignored npm install scripts once per project folder, so the test clones the repository
 * into a new folder each time (the npm cache is shared: nothing is downloaded again).
 */
import assert from "node:assert/strict";
import { ROOT } from "./helpers/cli.ts";

Deno.test("a fresh clone's `deno task demo` prints no warning (README's first command)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "moodle_load_fresh_" });
  try {
    const clone = await new Deno.Command("git", {
      args: ["clone", "--quiet", "--no-hardlinks", ROOT, `${dir}/repo`],
      stdout: "null",
      stderr: "piped",
    }).output();
    assert.ok(clone.success, new TextDecoder().decode(clone.stderr));
    // The working tree's deno.json and lock file, so an uncommitted change is what is tested.
    for (const file of ["deno.json", "deno.lock"]) {
      await Deno.copyFile(`${ROOT}${file}`, `${dir}/repo/${file}`);
    }
    const demo = await new Deno.Command(Deno.execPath(), {
      args: ["task", "demo", "--duration", "1", "--quiet", "--out", `${dir}/stats`],
      cwd: `${dir}/repo`,
      env: { NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
      stdin: "null",
    }).output();
    const stderr = new TextDecoder().decode(demo.stderr);
    assert.equal(demo.code, 0, stderr);
    // Deno's own line naming the task is all there is on stderr.
    const lines = stderr.split("\n").filter((line) => line.trim() !== "" && !/^Task demo /.test(line));
    assert.deepEqual(lines, [], stderr);
    assert.doesNotMatch(new TextDecoder().decode(demo.stdout), /warning/i);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
