/**
 * Live status for long work: on a TTY the block is redrawn in place; otherwise (CI logs, pipes)
 * each update is appended as a plain block, so logs stay readable.
 */

const encoder = new TextEncoder();

export function stdoutIsTty(): boolean {
  try {
    return Deno.stdout.isTerminal();
  } catch {
    return false;
  }
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
    this.drawnLines = this.tty ? body.split("\n").length - 1 : 0;
  }

  /** Keep what is on screen and start a fresh block below it. */
  commit(): void {
    this.drawnLines = 0;
  }
}
