/**
 * `deno task compile`: one self-contained binary per target under dist/, plus dist/SHA256SUMS.
 * Permission flags are the union from src/permissions.ts (main.ts narrows them per subcommand).
 * DENORT_BIN (a local denort runtime) is honoured: Deno then builds the host target from it.
 */
import { compileFlags } from "../src/permissions.ts";

export const TARGETS = [
  "x86_64-unknown-linux-gnu",
  "aarch64-unknown-linux-gnu",
  "x86_64-apple-darwin",
  "aarch64-apple-darwin",
  "x86_64-pc-windows-msvc",
] as const;

export function outputName(target: string): string {
  return `moodle-load-${target}${target.includes("windows") ? ".exe" : ""}`;
}

export function compileArgs(target: string, outDir = "dist"): string[] {
  return [
    "compile",
    ...compileFlags(),
    "--target",
    target,
    "--output",
    `${outDir}/${outputName(target)}`,
    "main.ts",
  ];
}

/** deno compile's complaint when it could not fetch the runtime, reduced to a yes/no. */
export function isRuntimeDownloadFailure(stderr: string): boolean {
  return /denort|download|dns error|failed to lookup|error sending request|connect/i.test(stderr);
}

async function sha256Hex(path: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", await Deno.readFile(path));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

function hostTarget(): string {
  return TARGETS.find((t) =>
    t.startsWith(Deno.build.arch) && t.includes(Deno.build.os === "darwin" ? "apple" : Deno.build.os)
  ) ??
    `${Deno.build.arch}-unknown-${Deno.build.os}-gnu`;
}

async function main(): Promise<number> {
  const requested = Deno.args.filter((a) => !a.startsWith("-"));
  const targets = requested.length ? requested : Deno.env.get("DENORT_BIN") ? [hostTarget()] : [...TARGETS];
  await Deno.mkdir("dist", { recursive: true });
  const sums: string[] = [];
  for (const target of targets) {
    const started = performance.now();
    const result = await new Deno.Command(Deno.execPath(), {
      args: compileArgs(target),
      stderr: "piped",
      stdout: "piped",
    })
      .output();
    const stderr = new TextDecoder().decode(result.stderr);
    if (!result.success) {
      if (isRuntimeDownloadFailure(stderr)) {
        console.error(
          `compile: cannot download Deno's runtime (denort) for ${target} (this machine cannot reach Deno's download server): ` +
            `run \`deno task compile\` on a connected machine, or set DENORT_BIN=/path/to/denort to build the host target.`,
        );
      } else {
        console.error(
          `compile: deno compile failed for ${target}:\n${stderr.trim().split("\n").slice(-10).join("\n")}`,
        );
      }
      return 1;
    }
    const file = `dist/${outputName(target)}`;
    sums.push(`${await sha256Hex(file)}  ${outputName(target)}`);
    console.log(`built ${file} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  }
  await Deno.writeTextFile("dist/SHA256SUMS.tmp", sums.join("\n") + "\n");
  await Deno.rename("dist/SHA256SUMS.tmp", "dist/SHA256SUMS");
  console.log(`wrote dist/SHA256SUMS (${sums.length} binaries)`);
  return 0;
}

if (import.meta.main) Deno.exit(await main());
