/**
 * How much "work" each demo page stands for: DB reads/writes, included files, memory. These feed
 * the performance footer so its figures differ per page the way a real site's do.
 */

export interface PageWork {
  dbReads: number;
  dbWrites: number;
  includedFiles: number;
  memoryBytes: number;
}

const WORK: Record<string, PageWork> = {
  "/login/index.php": { dbReads: 9, dbWrites: 0, includedFiles: 412, memoryBytes: 5_200_000 },
  "/my/": { dbReads: 34, dbWrites: 2, includedFiles: 508, memoryBytes: 6_700_000 },
  "/my/courses.php": { dbReads: 29, dbWrites: 1, includedFiles: 497, memoryBytes: 6_500_000 },
  "/course/view.php": { dbReads: 57, dbWrites: 1, includedFiles: 561, memoryBytes: 8_100_000 },
  "/mod/page/view.php": { dbReads: 41, dbWrites: 3, includedFiles: 533, memoryBytes: 7_000_000 },
  "/mod/forum/view.php": { dbReads: 48, dbWrites: 2, includedFiles: 590, memoryBytes: 7_800_000 },
  "/mod/forum/discuss.php": { dbReads: 63, dbWrites: 2, includedFiles: 612, memoryBytes: 8_600_000 },
  "/mod/forum/post.php": { dbReads: 52, dbWrites: 1, includedFiles: 640, memoryBytes: 9_000_000 },
};

const DEFAULT_WORK: PageWork = { dbReads: 25, dbWrites: 1, includedFiles: 480, memoryBytes: 6_000_000 };

/** The work a page stands for; the page size adds memory as rendering it would. */
export function workOf(path: string, pageBytes: number): PageWork {
  const work = WORK[path] ?? DEFAULT_WORK;
  return { ...work, memoryBytes: work.memoryBytes + pageBytes * 3 };
}
