/**
 * The commit checked out in a working directory, read from `.git` itself (HEAD → ref → loose ref or
 * packed-refs; worktrees through `commondir`): `run` has no permission to start `git`, and reading
 * the files answers the same question as `git rev-parse HEAD`. Whether the tree has uncommitted
 * changes is not known this way (that needs the index), so it is not claimed.
 */
import { dirname, isAbsolute, join, resolve } from "node:path";

async function readText(path: string): Promise<string | undefined> {
  try {
    return (await Deno.readTextFile(path)).trim();
  } catch {
    return undefined;
  }
}

/** The git directory of `start` or the nearest folder above it (a `.git` file points elsewhere). */
async function gitDirOf(start: string): Promise<string | undefined> {
  let dir = resolve(start);
  for (;;) {
    const dotGit = join(dir, ".git");
    try {
      const info = await Deno.stat(dotGit);
      if (info.isDirectory) return dotGit;
      const pointer = /^gitdir:\s*(.+)$/m.exec((await readText(dotGit)) ?? "");
      if (pointer) return isAbsolute(pointer[1]) ? pointer[1] : resolve(dir, pointer[1]);
      return undefined;
    } catch {
      const parent = dirname(dir);
      if (parent === dir) return undefined;
      dir = parent;
    }
  }
}

const SHA = /^[0-9a-f]{40}(?:[0-9a-f]{24})?$/;

/** The full commit id HEAD points at in `cwd`'s checkout; undefined outside a checkout or unreadable. */
export async function gitHead(cwd = Deno.cwd()): Promise<string | undefined> {
  const gitDir = await gitDirOf(cwd);
  if (!gitDir) return undefined;
  const head = await readText(join(gitDir, "HEAD"));
  if (!head) return undefined;
  if (SHA.test(head)) return head;
  const ref = /^ref:\s*(\S+)$/.exec(head)?.[1];
  if (!ref) return undefined;
  const common = await readText(join(gitDir, "commondir"));
  const commonDir = common ? resolve(gitDir, common) : gitDir;
  for (const dir of [gitDir, commonDir]) {
    const loose = await readText(join(dir, ref));
    if (loose && SHA.test(loose)) return loose;
  }
  const packed = (await readText(join(commonDir, "packed-refs"))) ?? "";
  for (const line of packed.split("\n")) {
    const [sha, name] = line.trim().split(" ");
    if (name === ref && SHA.test(sha)) return sha;
  }
  return undefined;
}
