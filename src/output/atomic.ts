/**
 * How output files are written: whole files through a temp file and a rename (a crash or Ctrl-C
 * never leaves a half-written one), growing files through `OutputFs` — the seam a test swaps for a
 * file system that fails (a full disk) to prove that results still reach stdout.
 */

export interface AtomicWriteOptions {
  /** File mode for a new file (e.g. 0o600 for one holding passwords); a rewrite keeps the old mode. */
  mode?: number;
}

async function existingMode(path: string): Promise<number | undefined> {
  try {
    const mode = (await Deno.stat(path)).mode;
    return mode === null ? undefined : mode & 0o777;
  } catch {
    return undefined;
  }
}

export async function writeFileAtomic(
  path: string,
  data: string | Uint8Array,
  options: AtomicWriteOptions = {},
): Promise<void> {
  const temp = `${path}.${crypto.randomUUID().slice(0, 8)}.tmp`;
  const mode = (await existingMode(path)) ?? options.mode;
  try {
    if (typeof data === "string") await Deno.writeTextFile(temp, data, { mode });
    else await Deno.writeFile(temp, data, { mode });
    if (mode !== undefined && Deno.build.os !== "windows") await Deno.chmod(temp, mode);
    await Deno.rename(temp, path);
  } catch (error) {
    await Deno.remove(temp).catch(() => {});
    throw error;
  }
}

/** The part of Deno.FsFile a growing output file needs. */
export interface OutputFile {
  writeSync(bytes: Uint8Array): number;
  truncateSync(length?: number): void;
  close(): void;
}

/** The file operations of a run's outputs. */
export interface OutputFs {
  /** Create a file that must not exist yet (Deno.errors.AlreadyExists otherwise). */
  createNew(path: string): Promise<OutputFile>;
  /** Create or truncate a file the user named (--request-log). */
  create(path: string): Promise<OutputFile>;
  exists(path: string): Promise<boolean>;
  writeFileAtomic(path: string, data: string): Promise<void>;
}

export const realOutputFs: OutputFs = {
  createNew: (path) => Deno.open(path, { write: true, createNew: true }),
  create: (path) => Deno.open(path, { write: true, create: true, truncate: true }),
  exists: (path) => Deno.lstat(path).then(() => true, () => false),
  writeFileAtomic: (path, data) => writeFileAtomic(path, data),
};

/** A file that could not be written, and why (the OS's words: "No space left on device (os error 28)"). */
export interface FileProblem {
  path: string;
  reason: string;
}

export function fileProblem(path: string, error: unknown): FileProblem {
  return { path, reason: error instanceof Error ? error.message : String(error) };
}

const encoder = new TextEncoder();

/**
 * An append-only file of whole lines. A failed write (a full disk) is cut back to the last whole
 * line and the file takes nothing more: the failure is kept and reported once through `onFailure`,
 * and the work that feeds the file goes on.
 */
export class LineFile {
  #goodBytes = 0;
  #failure: FileProblem | undefined;

  constructor(
    readonly path: string,
    private readonly file: OutputFile,
    private readonly onFailure: (problem: FileProblem) => void = () => {},
  ) {}

  get failure(): FileProblem | undefined {
    return this.#failure;
  }

  /** Append `text` (whole lines); false once the file has failed. */
  append(text: string): boolean {
    if (this.#failure) return false;
    const bytes = encoder.encode(text);
    try {
      let written = 0;
      while (written < bytes.length) written += this.file.writeSync(bytes.subarray(written));
      this.#goodBytes += bytes.length;
      return true;
    } catch (error) {
      try {
        this.file.truncateSync(this.#goodBytes);
      } catch { /* the partial line stays; nothing better can be done */ }
      this.#failure = fileProblem(this.path, error);
      this.onFailure(this.#failure);
      return false;
    }
  }

  close(): void {
    try {
      this.file.close();
    } catch { /* already closed */ }
  }
}
