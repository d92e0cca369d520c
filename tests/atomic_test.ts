import assert from "node:assert/strict";
import { writeFileAtomic } from "../src/output/atomic.ts";

Deno.test({
  name: "writeFileAtomic: a new file gets the given mode, a rewrite keeps the old one, no temp file left",
  ignore: Deno.build.os === "windows",
  fn: async () => {
    const dir = await Deno.makeTempDir();
    try {
      const secret = `${dir}/secret.json`;
      await writeFileAtomic(secret, "{}", { mode: 0o600 });
      assert.equal((await Deno.stat(secret)).mode! & 0o777, 0o600);

      const shared = `${dir}/shared.json`;
      await Deno.writeTextFile(shared, "old");
      await Deno.chmod(shared, 0o644);
      await writeFileAtomic(shared, "new", { mode: 0o600 });
      assert.equal(await Deno.readTextFile(shared), "new");
      assert.equal((await Deno.stat(shared)).mode! & 0o777, 0o644);

      const names = [];
      for await (const entry of Deno.readDir(dir)) names.push(entry.name);
      assert.deepEqual(names.sort(), ["secret.json", "shared.json"]);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
