/** Running the PostgreSQL client programs (pg_dump, pg_restore): version checks and streamed stderr. */
import { UserError } from "../errors.ts";
import { majorOf } from "./archive.ts";

export interface ToolInfo {
  path: string;
  version: string;
  major: number;
}

/** `pg_restore (PostgreSQL) 15.20 (Debian …)` → checked tool info, or a one-line error naming the flag. */
export async function checkTool(path: string, name: string, flag: string): Promise<ToolInfo> {
  let output: Deno.CommandOutput;
  try {
    output = await new Deno.Command(path, {
      args: ["--version"],
      stdout: "piped",
      stderr: "piped",
      stdin: "null",
    })
      .output();
  } catch (error) {
    const reason = error instanceof Deno.errors.NotFound
      ? "not found"
      : error instanceof Deno.errors.PermissionDenied
      ? "not executable"
      : (error as Error).message;
    throw new UserError(
      `${name} ${path === name ? "is not on PATH" : `at ${path}: ${reason}`}` +
        ` — install the PostgreSQL client programs or pass ${flag} /path/to/${name}`,
    );
  }
  const text = new TextDecoder().decode(output.stdout).trim();
  const match = new RegExp(`^${name} \\(PostgreSQL\\) (\\S+)`).exec(text);
  const major = match ? majorOf(match[1]) : undefined;
  if (!output.success || !match || major === undefined) {
    throw new UserError(`${path} does not look like ${name} ("${text.split("\n")[0]}") — check ${flag}`);
  }
  return { path, version: match[1], major };
}

/** Default sibling: `/usr/lib/postgresql/16/bin/pg_dump` → `/usr/lib/postgresql/16/bin/pg_restore`. */
export function siblingTool(path: string | undefined, name: string): string {
  if (!path || !path.includes("/")) return name;
  return path.replace(/[^/]*$/, name);
}

/** Keeps the last `limit` lines (for "the last lines of stderr" in errors). */
export class Tail {
  readonly lines: string[] = [];
  constructor(private readonly limit = 12) {}
  push(line: string): void {
    this.lines.push(line);
    if (this.lines.length > this.limit) this.lines.shift();
  }
}

/** Calls `onLine` for every line a child writes to the stream, as it arrives. */
export async function forEachLine(
  stream: ReadableStream<Uint8Array>,
  onLine: (line: string) => void,
): Promise<void> {
  const decoder = new TextDecoder();
  let pending = "";
  for await (const chunk of stream) {
    pending += decoder.decode(chunk, { stream: true });
    const lines = pending.split("\n");
    pending = lines.pop() ?? "";
    for (const line of lines) onLine(line.replace(/\r$/, ""));
  }
  pending += decoder.decode();
  if (pending) onLine(pending);
}

/** Run a tool to completion, collecting stdout and stderr (for `--list`). */
export async function runTool(
  path: string,
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const output = await new Deno.Command(path, { args, env, stdout: "piped", stderr: "piped", stdin: "null" })
    .output();
  const decoder = new TextDecoder();
  return { code: output.code, stdout: decoder.decode(output.stdout), stderr: decoder.decode(output.stderr) };
}

export function indent(lines: string[]): string {
  return lines.map((line) => `    ${line}`).join("\n");
}
