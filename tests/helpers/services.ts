/**
 * Real services for tests. A test that needs a service this machine lacks is skipped with a loud
 * reason — except under CI=true, where it runs and fails, so a broken CI machine cannot pass quietly.
 */

export const IN_CI = Deno.env.get("CI") === "true";

export interface Availability {
  ok: boolean;
  reason: string;
}

/** Options for Deno.test: `ignore` only outside CI, with the reason printed once. */
export function requireService(service: string, availability: Availability): { ignore: boolean } {
  if (!availability.ok) {
    const verdict = IN_CI
      ? "CI=true, so the tests that need it will FAIL"
      : "SKIPPING the tests that need it";
    console.warn(`\n!!! ${service} is not available (${availability.reason}): ${verdict}\n`);
  }
  return { ignore: !availability.ok && !IN_CI };
}
