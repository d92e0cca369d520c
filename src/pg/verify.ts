/**
 * Proof that a whole custom-format archive is readable, before anything relies on it.
 *
 * `pg_restore --list` reads only the table of contents at the start of the file, so a dump cut short
 * (half of it, or only its last 4 KB missing) passes it — and a restore of it then fails half-way,
 * after `--clean` or DROP DATABASE has already emptied the database. `pg_restore -f /dev/null` reads
 * and decompresses every data block (zlib checks each one), so truncation and corrupted compressed
 * data both make it fail. Cost: ~4 s for a 195 MB dump here, against ~50 s for the restore itself
 * (see `deno task bench pg`).
 */
import type { TocList } from "./archive.ts";
import type { Stopper } from "./stopper.ts";
import { forEachLine, Tail } from "./tools.ts";

/**
 * Reads every TOC entry's data with `readers` pg_restore processes, each given a share of the entries
 * by `-L` (fed on stdin: `db restore` may not write files), so a dump with many tables is read on
 * several cores (4 tables of 30 MB: 1.9 s with one reader, 1.6 s with two on this 2-core VM). The
 * entries with data are dealt out first so each reader gets its share of them; every entry goes to
 * exactly one reader. Resolves to undefined when all of it was read, else to pg_restore's last error.
 */
export async function readWholeArchive(
  pgRestore: string,
  dump: string,
  toc: Pick<TocList, "ids" | "dataIds">,
  stopper: Stopper,
  readers: number,
): Promise<string | undefined> {
  const count = Math.max(1, Math.min(readers, toc.dataIds.length));
  const withData = new Set(toc.dataIds);
  const order = [...toc.dataIds, ...toc.ids.filter((id) => !withData.has(id))];
  const shares: number[][] = Array.from({ length: count }, () => []);
  order.forEach((id, i) => shares[i % count].push(id));
  const results = await Promise.all(shares.map((share) => readShare(pgRestore, dump, share, stopper, count)));
  return results.find((reason) => reason !== undefined);
}

async function readShare(
  pgRestore: string,
  dump: string,
  share: number[],
  stopper: Stopper,
  count: number,
): Promise<string | undefined> {
  // One reader reads everything: no list needed (and stdin stays closed).
  const args = count === 1 ? ["-f", "/dev/null", dump] : ["-f", "/dev/null", "-L", "/dev/stdin", dump];
  const child = stopper.spawn(pgRestore, args, {}, { stdin: count === 1 ? "null" : "piped" });
  if (count > 1) {
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(share.map((id) => `${id};\n`).join(""))).catch(() => {});
    await writer.close().catch(() => {});
  }
  const tail = new Tail(3);
  await forEachLine(child.stderr, (line) => tail.push(line));
  const status = await stopper.wait(child);
  if (status.success) return undefined;
  const last = tail.lines.at(-1)?.replace(/^pg_restore: (error: )?/, "");
  return last || `pg_restore exited with ${status.signal ?? status.code}`;
}
