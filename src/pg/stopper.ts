/**
 * Child processes (pg_dump, pg_restore and pg_restore's -j workers) that must not outlive us.
 *
 * Each child starts in its own process group (`detached`: setsid), so a stop ends the whole group —
 * pg_restore forks its -j workers, and signalling the leader alone can leave them running. Being
 * outside our group also means a terminal's Ctrl-C reaches only us: we decide what to stop and can
 * then say what state the database is in.
 */
import { UserError } from "../errors.ts";
import { onStopSignals, STOP_SIGNAL_EXIT_CODE, type StopSignal } from "../util/stop_signals.ts";

export class Stopper {
  signal?: StopSignal;
  private readonly groups = new Set<number>();
  private readonly hooks = new Set<() => void>();

  /** Spawn `path` in its own process group (stdin and stdout closed unless asked for, stderr piped). */
  spawn(
    path: string,
    args: string[],
    env: Record<string, string>,
    io: { stdin?: "null" | "piped"; stdout?: "null" | "piped" } = {},
  ): Deno.ChildProcess {
    const { stdin = "null", stdout = "null" } = io;
    const child = new Deno.Command(path, { args, env, stdin, stdout, stderr: "piped", detached: true })
      .spawn();
    this.groups.add(child.pid);
    if (this.signal) killGroup(child.pid, "SIGTERM");
    return child;
  }

  /** The child's status, once it and every process of its group are gone. */
  async wait(child: Deno.ChildProcess): Promise<Deno.CommandStatus> {
    const status = await child.status;
    await endGroup(child.pid);
    this.groups.delete(child.pid);
    return status;
  }

  /** First stop signal: SIGTERM every running group (pg_restore/pg_dump cancel their queries on it). */
  stop(signal: StopSignal): void {
    this.signal ??= signal;
    for (const pgid of this.groups) killGroup(pgid, "SIGTERM");
    for (const hook of this.hooks) hook();
  }

  /** Run `hook` on the first stop signal (e.g. cancel a running query); returns its remover. */
  onStop(hook: () => void): () => void {
    this.hooks.add(hook);
    return () => this.hooks.delete(hook);
  }

  /** After a stop: the one-line error saying what state things were left in. */
  throwIfStopped(state: string): void {
    if (!this.signal) return;
    throw new UserError(`${stoppedBy(this.signal)} — ${state}`, STOP_SIGNAL_EXIT_CODE[this.signal]);
  }

  /**
   * Listen for stop signals until the returned disposer is called. A second signal SIGKILLs every
   * group, runs `cleanupSync` (e.g. remove a partial file), prints one line and exits at once.
   */
  listen(describeState: () => string, cleanupSync: () => void = () => {}): () => void {
    return onStopSignals({
      first: (signal) => this.stop(signal),
      second: (signal) => {
        for (const pgid of this.groups) killGroup(pgid, "SIGKILL");
        cleanupSync();
        console.error(
          `moodle-load: ${signal} again — ${stoppedBy(this.signal!)} at once — ${describeState()}`,
        );
        Deno.exit(STOP_SIGNAL_EXIT_CODE[this.signal!]);
      },
    });
  }
}

export function stoppedBy(signal: StopSignal): string {
  return `stopped by ${signal}${signal === "SIGINT" ? " (Ctrl-C)" : ""}`;
}

function killGroup(pgid: number, signal: Deno.Signal): void {
  try {
    Deno.kill(-pgid, signal);
  } catch { /* the group is already gone */ }
}

/** Live (not zombie) processes in process group `pgid`, from /proc; undefined where there is no /proc. */
export function groupMembers(pgid: number): number[] | undefined {
  const members: number[] = [];
  try {
    for (const entry of Deno.readDirSync("/proc")) {
      if (!/^\d+$/.test(entry.name)) continue;
      let stat: string;
      try {
        stat = Deno.readTextFileSync(`/proc/${entry.name}/stat`);
      } catch {
        continue; // exited while we looked
      }
      // "pid (comm) S ppid pgrp …": comm may hold spaces and parentheses, so split after the last ")".
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(fields[2]) === pgid && fields[0] !== "Z") members.push(Number(entry.name));
    }
  } catch {
    return undefined;
  }
  return members;
}

/** The leader has exited: give the rest of its group 3 s to follow, then SIGKILL what is left. */
async function endGroup(pgid: number): Promise<void> {
  const deadline = Date.now() + 3000;
  while (Date.now() < deadline) {
    const members = groupMembers(pgid);
    if (members?.length === 0) return;
    if (members === undefined) break; // no /proc: cannot tell, so make sure
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  killGroup(pgid, "SIGKILL");
}
