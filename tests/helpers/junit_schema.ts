/**
 * JUnit XML checked as CI systems read it: valid against tests/fixtures/junit_common.xsd (libxml2's
 * schema validator, as WebAssembly from npm:xmllint-wasm) and with counts that add up (tests, failures,
 * skipped equal the cases under them) — what the schema language cannot say.
 */
import { validateXML } from "xmllint-wasm";
import { XMLParser } from "fast-xml-parser";

const SCHEMA = new URL("../fixtures/junit_common.xsd", import.meta.url);
const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: "",
  isArray: (name) => name === "testcase" || name === "testsuite",
});

/** Every problem found (empty: the file is the common JUnit shape). */
export async function junitProblems(xml: string): Promise<string[]> {
  const result = await validateXML({
    xml: [{ fileName: "junit.xml", contents: xml }],
    schema: [{ fileName: "junit_common.xsd", contents: await Deno.readTextFile(SCHEMA) }],
  });
  const problems = result.errors.map((e) => e.message.trim());
  if (!result.valid) return problems.length ? problems : ["not valid"];
  const root = parser.parse(xml).testsuites;
  const suites: Record<string, unknown>[] = root.testsuite;
  const count = (cases: Record<string, unknown>[], key: string) => cases.filter((c) => key in c).length;
  const all = suites.flatMap((s) => (s.testcase ?? []) as Record<string, unknown>[]);
  for (
    const [where, node, cases] of [
      ["testsuites", root, all],
      ...suites.map((s) => ["testsuite", s, s.testcase ?? []]),
    ] as [string, Record<string, string>, Record<string, unknown>[]][]
  ) {
    if (node.tests !== undefined && Number(node.tests) !== cases.length) {
      problems.push(`${where} tests=${node.tests}, ${cases.length} cases`);
    }
    if (node.failures !== undefined && Number(node.failures) !== count(cases, "failure")) {
      problems.push(`${where} failures=${node.failures}`);
    }
    if (node.errors !== undefined && Number(node.errors) !== count(cases, "error")) {
      problems.push(`${where} errors=${node.errors}`);
    }
    if (node.skipped !== undefined && Number(node.skipped) !== count(cases, "skipped")) {
      problems.push(`${where} skipped=${node.skipped}`);
    }
  }
  return problems;
}
