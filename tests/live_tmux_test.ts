/**
 * The live view as a user sees it: `moodle-load demo` in a real 80-column terminal (a tmux pane on a
 * private tmux server), captured several times while it runs. `capture-pane -J` joins the rows a
 * wrapped line took, so a line longer than 80 there is a line the terminal wrapped.
 */
import assert from "node:assert/strict";
import { compileFlags } from "../src/permissions.ts";
import { MAIN } from "./helpers/cli.ts";
import { requireService } from "./helpers/services.ts";

const COLUMNS = 80;

function tmuxAvailable(): { ok: boolean; reason: string } {
  try {
    const out = new Deno.Command("tmux", { args: ["-V"], stdout: "piped", stderr: "null" }).outputSync();
    return { ok: out.success, reason: out.success ? "" : "tmux -V failed" };
  } catch {
    return { ok: false, reason: "tmux is not installed (apt-get install tmux; .ci/setup-extras does it)" };
  }
}

const shellQuote = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;

Deno.test({
  name: "live view in an 80-column tmux pane: no wrapped line, figures redrawn every second, no JSON dump",
  ...requireService("tmux", tmuxAvailable()),
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "moodle_load_tmux_" });
    const server = `moodle-load-test-${Deno.pid}`;
    const tmux = (...args: string[]) => {
      const out = new Deno.Command("tmux", {
        args: ["-L", server, "-f", "/dev/null", ...args],
        stdout: "piped",
      })
        .outputSync();
      assert.ok(out.success, `tmux ${args.join(" ")} failed`);
      return new TextDecoder().decode(out.stdout);
    };
    // --out relative to the pane's folder: the "Files:" lines stay short.
    const command = [Deno.execPath(), "run", "--quiet", ...compileFlags(), MAIN, "demo", "--duration", "10"]
      .map(shellQuote).join(" ");
    await Deno.writeTextFile(
      `${dir}/run.sh`,
      `cd ${shellQuote(dir)} && NO_COLOR=1 ${command} --out out; echo "exit=$?"; sleep 60\n`,
    );
    try {
      tmux(
        "new-session",
        "-d",
        "-s",
        "live",
        "-x",
        String(COLUMNS),
        "-y",
        "60",
        `sh ${shellQuote(`${dir}/run.sh`)}`,
      );
      const blocks = new Set<string>();
      let final = "";
      for (let i = 0; i < 90; i++) {
        await new Promise((r) => setTimeout(r, 500));
        const joined = tmux("capture-pane", "-p", "-J", "-t", "live", "-S", "-200");
        for (const line of joined.split("\n")) {
          assert.ok(
            line.trimEnd().length <= COLUMNS,
            `a wrapped line (${line.trimEnd().length} columns): ${line}`,
          );
        }
        const live = liveBlock(joined);
        if (live) blocks.add(live);
        if (/exit=\d+/.test(joined)) {
          final = joined;
          break;
        }
      }
      assert.match(final, /exit=0/, `the demo finished; last capture:\n${final}`);
      assert.ok(blocks.size >= 4, `the live block was redrawn at least 4 times in 10 s (saw ${blocks.size})`);
      // Not only the clock: the measured figures themselves moved between captures.
      const measured = new Set([...blocks].map((block) => /^Measured .*$/m.exec(block)?.[0]).filter(Boolean));
      assert.ok(
        measured.size >= 3,
        `the Measured row changed at least 3 times: ${[...measured].join(" | ")}`,
      );
      const [first] = blocks;
      assert.match(first, /Last \d+ s/);
      assert.match(final, /Top endpoints/, "the last live block stays on screen above the final tables");
      // A terminal gets the tables and the JSON file's path, not the JSON itself.
      assert.match(final, /out\/load_summary_\w+\.json/);
      assert.doesNotMatch(final, /"summary_file"/);
      // Rows as the screen shows them (no -J) equal the joined lines: nothing was wrapped, before or after.
      const rows = tmux("capture-pane", "-p", "-t", "live", "-S", "-200");
      assert.deepEqual(trimmed(rows), trimmed(final));
    } finally {
      try {
        tmux("kill-server");
      } catch { /* already gone */ }
      await Deno.remove(dir, { recursive: true });
    }
  },
});

function trimmed(capture: string): string[] {
  return capture.split("\n").map((line) => line.trimEnd()).filter((line) => line !== "");
}

/** The live block's figures (from the progress bar to the endpoints), or undefined when not drawn yet. */
function liveBlock(capture: string): string | undefined {
  const lines = capture.split("\n");
  const start = lines.findIndex((line) => line.startsWith("["));
  const end = lines.findIndex((line, i) => i > start && line.startsWith("Top endpoints"));
  if (start < 0 || end < 0) return undefined;
  return lines.slice(start, end).join("\n");
}
