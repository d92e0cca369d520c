/** Live processes and a CLI child whose output is watched while it runs (for signal tests). Linux /proc. */
import { cliCommand, type CliOptions } from "./cli.ts";

export interface ProcessInfo {
  pid: number;
  cmdline: string;
}

/** Live (not zombie) processes whose command line contains `needle`. */
export function processesMatching(needle: string): ProcessInfo[] {
  const found: ProcessInfo[] = [];
  for (const entry of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    try {
      const stat = Deno.readTextFileSync(`/proc/${entry.name}/stat`);
      if (stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z")) continue;
      const cmdline = Deno.readTextFileSync(`/proc/${entry.name}/cmdline`).replaceAll("\0", " ").trim();
      if (cmdline.includes(needle)) found.push({ pid: Number(entry.name), cmdline });
    } catch { /* exited while we looked */ }
  }
  return found;
}

export async function waitFor(what: string, check: () => boolean | Promise<boolean>, ms = 60_000) {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

export interface WatchedCli {
  child: Deno.ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Exit code and all output once the CLI has exited. */
  done: Promise<{ code: number; signal: Deno.Signal | null; stdout: string; stderr: string }>;
}

/** `main.ts args…` as a child whose stdout and stderr are collected as they arrive. */
export function watchCli(args: string[], options: CliOptions = {}): WatchedCli {
  const child = cliCommand(args, options).spawn();
  let out = "";
  let err = "";
  const collect = async (stream: ReadableStream<Uint8Array>, add: (text: string) => void) => {
    for await (const text of stream.pipeThrough(new TextDecoderStream())) add(text);
  };
  const reading = Promise.all([
    collect(child.stdout, (text) => out += text),
    collect(child.stderr, (text) => err += text),
  ]);
  const done = (async () => {
    const status = await child.status;
    await reading;
    return { code: status.code, signal: status.signal, stdout: out, stderr: err };
  })();
  return { child, stdout: () => out, stderr: () => err, done };
}
