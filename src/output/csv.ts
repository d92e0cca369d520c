/** CSV: raw numbers, a header row, RFC 4180 quoting only where needed. */

export type CsvValue = string | number | boolean | null | undefined;

export function csvField(value: CsvValue): string {
  if (value === null || value === undefined) return "";
  const text = typeof value === "number" && !Number.isInteger(value)
    ? String(Number(value.toFixed(6)))
    : String(value);
  return /[",\n\r]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function csvLine(values: readonly CsvValue[]): string {
  return values.map(csvField).join(",") + "\n";
}

export function csvDocument(header: readonly string[], rows: readonly (readonly CsvValue[])[]): string {
  return csvLine(header) + rows.map(csvLine).join("");
}

/**
 * A CSV file that grows row by row and is flushed to disk after every write (a crash loses at
 * most the row being written). For files written once at the end, use csvDocument + writeFileAtomic.
 */
export class CsvAppender {
  private constructor(private readonly file: Deno.FsFile, readonly path: string) {}

  static async create(path: string, header: readonly string[]): Promise<CsvAppender> {
    const file = await Deno.open(path, { write: true, create: true, truncate: true });
    const appender = new CsvAppender(file, path);
    await appender.write(header);
    return appender;
  }

  /** A file no one else has (Deno.errors.AlreadyExists when the name is taken). */
  static async createNew(path: string, header: readonly string[]): Promise<CsvAppender> {
    const appender = new CsvAppender(await Deno.open(path, { write: true, createNew: true }), path);
    await appender.write(header);
    return appender;
  }

  async write(values: readonly CsvValue[]): Promise<void> {
    const bytes = new TextEncoder().encode(csvLine(values));
    let written = 0;
    while (written < bytes.length) written += await this.file.write(bytes.subarray(written));
  }

  close(): void {
    try {
      this.file.close();
    } catch { /* already closed */ }
  }
}
