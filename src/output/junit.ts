/**
 * JUnit XML for CI systems (GitLab, Jenkins, GitHub test reporters, Azure): one <testcase> per threshold or
 * `--fail-on` criterion, a crossed one as a <failure> carrying the measured value, so a regression shows up
 * as a failed test with its numbers. The shape is the common one those tools read (the Ant/Jenkins
 * "junit-10" schema: testsuites > testsuite[name tests failures errors skipped time] > testcase[name
 * classname time] > failure[message type] | skipped[message]).
 */

export interface JunitCase {
  /** The criterion as the user wrote it, e.g. `p95<800ms` or `course_view:p95>+10%`. */
  name: string;
  passed: boolean;
  /** Could not be judged (too few samples): reported as skipped, never as passed. */
  skipped?: boolean;
  /** One line: the measured value against the limit, or why it could not be judged. */
  detail: string;
}

export interface JunitSuite {
  /** e.g. `moodle-load run thresholds` or `moodle-load compare`. */
  name: string;
  /** Groups the cases in CI views (the run's tag or summary file). */
  classname: string;
  timeSec: number;
  timestamp: Date;
  cases: readonly JunitCase[];
}

/** XML 1.0 text and attribute escaping; control characters XML cannot carry become spaces. */
export function escapeXml(text: string): string {
  return text
    // deno-lint-ignore no-control-regex
    .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F]/g, " ")
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&apos;");
}

function caseXml(suite: JunitSuite, testCase: JunitCase): string {
  const open = `    <testcase name="${escapeXml(testCase.name)}" classname="${
    escapeXml(suite.classname)
  }" time="0">`;
  if (testCase.skipped) {
    return `${open}\n      <skipped message="${escapeXml(testCase.detail)}"/>\n    </testcase>`;
  }
  if (testCase.passed) {
    return `${open}\n      <system-out>${escapeXml(testCase.detail)}</system-out>\n    </testcase>`;
  }
  return `${open}\n      <failure message="${escapeXml(testCase.detail)}" type="threshold">${
    escapeXml(testCase.detail)
  }</failure>\n    </testcase>`;
}

export function junitXml(suite: JunitSuite): string {
  const failures = suite.cases.filter((c) => !c.passed && !c.skipped).length;
  const skipped = suite.cases.filter((c) => c.skipped).length;
  const counts = `tests="${suite.cases.length}" failures="${failures}" errors="0"`;
  const time = suite.timeSec.toFixed(3);
  const stamp = suite.timestamp.toISOString().replace(/\.\d+Z$/, "");
  return [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    // `skipped` only on <testsuite>: the strict readers (Jenkins' junit schema) refuse it on <testsuites>.
    `<testsuites name="moodle-load" ${counts} time="${time}">`,
    `  <testsuite name="${
      escapeXml(suite.name)
    }" ${counts} skipped="${skipped}" time="${time}" timestamp="${stamp}">`,
    ...suite.cases.map((c) => caseXml(suite, c)),
    `  </testsuite>`,
    `</testsuites>`,
    ``,
  ].join("\n");
}
