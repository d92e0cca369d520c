/** Progress for long child processes: redrawn on a TTY, a plain line per 10 % step otherwise. */
import { formatDuration, progressBar } from "../output/format.ts";
import { LiveBlock, stdoutIsTty } from "../output/live.ts";

export class ToolProgress {
  private readonly live: LiveBlock;
  private lastDraw = 0;
  private lastStep = -1;
  private lastLabel = "";
  private readonly started = performance.now();

  constructor(private readonly tty = stdoutIsTty(), out = Deno.stdout) {
    this.live = new LiveBlock(tty, out);
  }

  /** `fraction` in 0..1 (undefined: unknown); `label` names the current phase. */
  update(label: string, fraction: number | undefined, detail = "", force = false): void {
    const now = performance.now();
    const step = fraction === undefined ? -1 : Math.floor(fraction * 10);
    // Off a TTY, a new line only for a new 10 % step or a new phase (the label without its numbers).
    const phase = label.replace(/[\d.,]+\s?[kMGT]?B?/g, "#");
    const due = this.tty ? now - this.lastDraw >= 150 : step !== this.lastStep || phase !== this.lastLabel;
    if (!due && !(force && this.tty)) return;
    this.lastDraw = now;
    this.lastStep = step;
    this.lastLabel = phase;
    const elapsed = formatDuration((now - this.started) / 1000);
    const bar = fraction === undefined ? "" : `${progressBar(fraction)} `;
    const tail = this.tty && detail ? `  ${detail.slice(0, 60)}` : "";
    const line = `  ${label} ${bar}${elapsed}${tail}`;
    // A wrapped line would break the in-place redraw: keep it within the terminal's width.
    this.live.update(this.tty ? line.slice(0, terminalColumns() - 1) : line);
  }

  /** Leave the last state on screen. */
  done(): void {
    this.live.commit();
  }
}

/** "12.3s" / "850ms" for step timings. */
export function seconds(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(1)}s` : `${Math.round(ms)}ms`;
}

function terminalColumns(): number {
  try {
    return Deno.consoleSize().columns || 80;
  } catch {
    return 80;
  }
}
