/**
 * Writing the test users into a config file: only the `users` value is replaced, so every other key,
 * the key order, comments and formatting stay exactly as they were. A missing file is created in
 * config.example.json's shape.
 */
import { applyEdits, findNodeAtLocation, modify, type ParseError, parseTree } from "jsonc-parser";
import example from "../../config.example.json" with { type: "json" };

export interface ConfigUser {
  username: string;
  password: string;
}

function indentUnitOf(text: string): string {
  const match = /\n([ \t]+)\S/.exec(text);
  return match ? match[1] : "  ";
}

function lineIndentAt(text: string, offset: number): string {
  const lineStart = text.lastIndexOf("\n", offset - 1) + 1;
  return /^[ \t]*/.exec(text.slice(lineStart))![0];
}

/** `[\n  { "username": …, "password": … },\n …\n]` with one user per line. */
export function usersArrayText(users: ConfigUser[], baseIndent: string, unit: string): string {
  if (users.length === 0) return "[]";
  const lines = users.map((user) =>
    `${baseIndent}${unit}{ "username": ${JSON.stringify(user.username)}, "password": ${
      JSON.stringify(user.password)
    } }`
  );
  return `[\n${lines.join(",\n")}\n${baseIndent}]`;
}

export class ConfigTextError extends Error {}

/** Replace (or add) the top-level `users` array in a config file's text. */
export function replaceUsers(text: string, users: ConfigUser[]): string {
  const errors: ParseError[] = [];
  let root = parseTree(text, errors, { allowTrailingComma: true });
  if (errors.length || !root) throw new ConfigTextError("not valid JSON");
  if (root.type !== "object") throw new ConfigTextError("the top level is not a JSON object");
  const unit = indentUnitOf(text);
  let node = findNodeAtLocation(root, ["users"]);
  if (!node) {
    text = applyEdits(
      text,
      modify(text, ["users"], [], {
        formattingOptions: { insertSpaces: !unit.includes("\t"), tabSize: unit.length, eol: "\n" },
      }),
    );
    root = parseTree(text, [], { allowTrailingComma: true })!;
    node = findNodeAtLocation(root, ["users"])!;
  }
  const property = node.parent!;
  const replacement = usersArrayText(users, lineIndentAt(text, property.offset), unit);
  return text.slice(0, node.offset) + replacement + text.slice(node.offset + node.length);
}

/** A new config in config.example.json's shape, holding these users. */
export function newConfigText(users: ConfigUser[]): string {
  const shape = { ...example, users: [] as ConfigUser[] };
  return replaceUsers(JSON.stringify(shape, null, 2) + "\n", users);
}
