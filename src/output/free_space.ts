/**
 * Is there room for a command's files? Deno has no statfs, and `run` does not declare --allow-run
 * (so no `df`): instead a scratch file of the estimated size is written and removed. That is also
 * the only check that sees quotas and reserved blocks the way the real writes will.
 */

/** Largest scratch file written: checks stay quick; a bigger need is checked up to this much. */
export const MAX_PROBE_BYTES = 32 * 1024 * 1024;
const CHUNK_BYTES = 64 * 1024;

/**
 * Write ~`bytes` (at most MAX_PROBE_BYTES) into `dir` and remove it again. Returns a warning
 * ("DIR: only 40 KB of the ~2.1 MB this run writes fit (No space left on device) — …") or undefined.
 */
export async function checkFreeSpace(dir: string, bytes: number): Promise<string | undefined> {
  const target = Math.min(Math.max(0, Math.ceil(bytes)), MAX_PROBE_BYTES);
  if (target === 0) return undefined;
  const path = `${dir.replace(/\/+$/, "") || "."}/.moodle-load-space-check-${
    crypto.randomUUID().slice(0, 8)
  }.tmp`;
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { write: true, createNew: true });
  } catch {
    return undefined; // not creatable at all: the real file creation names the problem precisely
  }
  const chunk = crypto.getRandomValues(new Uint8Array(CHUNK_BYTES));
  let written = 0;
  try {
    while (written < target) {
      written += await file.write(chunk.subarray(0, Math.min(CHUNK_BYTES, target - written)));
    }
    await file.sync();
    return undefined;
  } catch (error) {
    return `${dir}: only ${formatSize(written)} of the ~${formatSize(target)} this run writes fit (${
      (error as Error).message
    }) — free some space or choose another folder; the run goes on and its results reach stdout anyway`;
  } finally {
    file.close();
    await Deno.remove(path).catch(() => {});
  }
}

function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(0)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}
