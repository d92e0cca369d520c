/**
 * `compare --fail-on` criteria as JUnit test cases (`--junit FILE`): one per criterion as written; it
 * fails with every hit's measured change, is skipped when it could not be judged (too few requests:
 * exit 4, never a pass), passes otherwise.
 */
import type { JunitCase } from "../output/junit.ts";
import type { FailOnHit, FailOnUnjudged } from "./fail_on.ts";

export function failOnCases(
  criteria: readonly string[],
  hits: readonly FailOnHit[],
  unjudged: readonly FailOnUnjudged[],
): JunitCase[] {
  return criteria.map((criterion) => {
    const crossed = hits.filter((h) => h.criterion === criterion);
    if (crossed.length) {
      return { name: criterion, passed: false, detail: crossed.map((h) => h.detail).join("; ") };
    }
    const open = unjudged.filter((u) => u.criterion === criterion);
    if (open.length) {
      return {
        name: criterion,
        passed: false,
        skipped: true,
        detail: `cannot judge (too few samples): ${open.map((u) => u.detail).join(", ")}`,
      };
    }
    return { name: criterion, passed: true, detail: `${criterion}: not crossed` };
  });
}
