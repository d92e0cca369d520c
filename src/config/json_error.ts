/**
 * Where a JSON text stops being valid, as "line L, column C: what" — never a slice of the text:
 * V8's JSON.parse messages quote the text around the error, which can span lines and hold passwords.
 */
import { type ParseError, parseTree, printParseErrorCode } from "jsonc-parser";

const WHAT: Record<string, string> = {
  InvalidSymbol: "unexpected character",
  InvalidNumberFormat: "malformed number",
  PropertyNameExpected: "property name (in double quotes) expected",
  ValueExpected: "value expected",
  ColonExpected: "':' expected",
  CommaExpected: "',' expected (or a missing closing bracket)",
  CloseBraceExpected: "'}' expected",
  CloseBracketExpected: "']' expected",
  EndOfFileExpected: "end of file expected (text after the closing bracket)",
  InvalidCommentToken: "comments are not allowed in JSON",
  UnexpectedEndOfComment: "unterminated comment",
  UnexpectedEndOfString: "unterminated string",
  UnexpectedEndOfNumber: "malformed number",
  InvalidUnicode: "invalid \\u escape",
  InvalidEscapeCharacter: "invalid escape character",
  InvalidCharacter: "control character in a string (use \\n, \\t…)",
};

function lineColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const line = before.split("\n").length;
  return { line, column: offset - (before.lastIndexOf("\n") + 1) + 1 };
}

/** A short, single-line description of the first syntax error of `text` (which JSON.parse rejected). */
export function jsonSyntaxError(text: string): string {
  if (text.trim() === "") return "the file is empty";
  const errors: ParseError[] = [];
  parseTree(text, errors, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false });
  const first = errors[0];
  if (!first) return "not valid JSON";
  const code = printParseErrorCode(first.error);
  const { line, column } = lineColumn(text, first.offset);
  const atEnd = first.offset >= text.trimEnd().length;
  return `not valid JSON at line ${line}, column ${column}: ${WHAT[code] ?? code}${
    atEnd ? " (the file ends too early)" : ""
  }`;
}
