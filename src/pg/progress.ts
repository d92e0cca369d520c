/**
 * Progress for long child processes: redrawn on a TTY (at most every 150 ms); otherwise (CI logs)
 * one plain line every LOG_EVERY_MS while something changed, one when the phase changes (dropping →
 * restoring) and the last state — never a line per update, so a 10-minute restore logs ~60 lines.
 */
import { formatDuration, progressBar } from "../output/format.ts";
import { LiveBlock, stdoutIsTty } from "../output/live.ts";

/** Off a terminal: the longest quiet gap between two progress lines while work goes on. */
export const LOG_EVERY_MS = 10_000;
/** On a terminal: the shortest gap between two redraws. */
const REDRAW_MS = 150;

export class ToolProgress {
  private readonly live: LiveBlock;
  private lastDraw = -Infinity;
  private lastPhase = "";
  private lastText = "";
  private readonly started: number;

  constructor(
    private readonly tty = stdoutIsTty(),
    out = Deno.stdout,
    /** Milliseconds from any origin (tests pass a fake clock). */
    private readonly now: () => number = () => performance.now(),
  ) {
    this.live = new LiveBlock(tty, out);
    this.started = now();
  }

  /** `fraction` in 0..1 (undefined: unknown); `label` names the current phase. */
  update(label: string, fraction: number | undefined, detail = "", force = false): void {
    const now = this.now();
    const text = `${label} ${fraction ?? ""}`;
    // The phase is the label without its numbers: "restoring #/# entries", "dumping table #/#, # written".
    const phase = label.replace(/[\d.,]+\s?[kMGT]?B?/g, "#");
    const due = this.tty
      ? now - this.lastDraw >= REDRAW_MS || force
      : text !== this.lastText && (force || phase !== this.lastPhase || now - this.lastDraw >= LOG_EVERY_MS);
    if (!due) return;
    this.lastText = text;
    this.lastDraw = now;
    this.lastPhase = phase;
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
