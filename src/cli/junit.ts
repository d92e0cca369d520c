import { Option } from "@commander-js/extra-typings";

/** `--junit FILE` (run, bench, bisect, compare): the verdict as JUnit XML for CI test reporters. */
export function junitOption() {
  return new Option(
    "--junit <file>",
    "write each threshold / --fail-on criterion as a JUnit XML test case to FILE (CI test reports)",
  );
}
