/**
 * "Functions short enough to read at once": every function in `src/` longer than MAX_LINES lines must
 * say why, in a comment right above it (or on the first line of its body) that contains the word "long".
 * Run by `deno task check`; prints each offender as file:line name (N lines) and exits 1.
 */
import ts from "typescript";
import { join } from "node:path";

export const MAX_LINES = 60;
const SAYS_WHY = /\blong\b/i;

export interface LongFunction {
  file: string;
  line: number;
  name: string;
  lines: number;
}

function nameOf(node: ts.Node): string {
  const named = node as { name?: ts.Node };
  if (named.name) return named.name.getText();
  const parent = node.parent;
  if (
    ts.isVariableDeclaration(parent) || ts.isPropertyAssignment(parent) || ts.isPropertyDeclaration(parent)
  ) {
    return parent.name.getText();
  }
  return "(anonymous)";
}

/** Comments right above the function (or its variable statement), and inside the body's first line. */
function explains(node: ts.Node, text: string): boolean {
  let anchor: ts.Node = node;
  while (
    anchor.parent && !ts.isSourceFile(anchor.parent) && !ts.isClassLike(anchor.parent) &&
    !ts.isBlock(anchor.parent) && !ts.isObjectLiteralExpression(anchor.parent)
  ) anchor = anchor.parent;
  const ranges = [
    ...(ts.getLeadingCommentRanges(text, anchor.getFullStart()) ?? []),
    ...(ts.getLeadingCommentRanges(text, node.getFullStart()) ?? []),
  ];
  const body = (node as { body?: ts.Node }).body;
  if (body && ts.isBlock(body) && body.statements.length > 0) {
    ranges.push(...(ts.getLeadingCommentRanges(text, body.statements[0].getFullStart()) ?? []));
  }
  return ranges.some((range) => SAYS_WHY.test(text.slice(range.pos, range.end)));
}

export function longFunctions(file: string, text: string, maxLines = MAX_LINES): LongFunction[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const found: LongFunction[] = [];
  const visit = (node: ts.Node) => {
    if (ts.isFunctionLike(node) && (node as { body?: ts.Node }).body) {
      const start = source.getLineAndCharacterOfPosition(node.getStart()).line;
      const end = source.getLineAndCharacterOfPosition(node.getEnd()).line;
      const lines = end - start + 1;
      if (lines > maxLines && !explains(node, text)) {
        found.push({ file, line: start + 1, name: nameOf(node), lines });
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

function* sourceFiles(dir: string): Generator<string> {
  for (const entry of Deno.readDirSync(dir)) {
    const path = join(dir, entry.name);
    if (entry.isDirectory) yield* sourceFiles(path);
    else if (entry.name.endsWith(".ts")) yield path;
  }
}

if (import.meta.main) {
  const offenders = [...sourceFiles("src")].flatMap((file) =>
    longFunctions(file, Deno.readTextFileSync(file))
  );
  for (const f of offenders) {
    console.error(
      `check_function_length: ${f.file}:${f.line} ${f.name} is ${f.lines} lines (> ${MAX_LINES}); split it or say why it is long`,
    );
  }
  if (offenders.length > 0) Deno.exit(1);
  console.log(`check_function_length: no function in src/ over ${MAX_LINES} lines without a reason`);
}
