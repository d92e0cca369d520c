/** Files written so a crash or Ctrl-C never leaves a half-written one: temp file, then rename. */

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
