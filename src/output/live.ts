/**
 * Live status for long work: on a TTY the block is redrawn in place; otherwise (CI logs, pipes)
 * each update is appended as a plain block, so logs stay readable.
 */

const encoder = new TextEncoder();

/** Whether `stream` is a terminal (false when that cannot be known, e.g. a closed descriptor). */
export function isTerminal(stream: { isTerminal(): boolean } = Deno.stdout): boolean {
  try {
    return stream.isTerminal();
  } catch {
    return false;
  }
}

export function stdoutIsTty(): boolean {
  return isTerminal(Deno.stdout);
}

/** The terminal's width, or undefined when it cannot be known. */
export function terminalColumns(): number | undefined {
  try {
    const { columns } = Deno.consoleSize();
    return columns > 0 ? columns : undefined;
  } catch {
    return undefined;
  }
}

// deno-lint-ignore no-control-regex
const ANSI = /\x1b\[[0-9;?]*[A-Za-z]/g;

/**
 * Screen rows a block takes: a line wider than the terminal wraps onto more rows, and the cursor
 * must go up by rows, not lines, or every redraw leaves the wrapped parts behind.
 */
export function screenRows(body: string, columns: number | undefined): number {
  const lines = body.split("\n");
  if (lines.at(-1) === "") lines.pop();
  if (!columns) return lines.length;
  return lines.reduce((rows, line) => {
    const width = Array.from(line.replace(ANSI, "")).length;
    return rows + Math.max(1, Math.ceil(width / columns));
  }, 0);
}

export class LiveBlock {
  private drawnLines = 0;

  constructor(private readonly tty: boolean = stdoutIsTty(), private readonly out = Deno.stdout) {}

  /** Replace the block on a TTY; append it otherwise. */
  update(text: string): void {
    const body = text.endsWith("\n") ? text : text + "\n";
    let prefix = "";
    if (this.tty && this.drawnLines > 0) prefix = `\x1b[${this.drawnLines}A\x1b[J`;
    this.out.writeSync(encoder.encode(prefix + body));
    this.drawnLines = this.tty ? screenRows(body, terminalColumns()) : 0;
  }

  /** Keep what is on screen and start a fresh block below it. */
  commit(): void {
    this.drawnLines = 0;
  }
}
