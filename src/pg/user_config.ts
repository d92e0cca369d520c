/**
 * Writing the test users (`users`) and discover's pools (`pools`) into a config file: only that one
 * top-level value is replaced, so every other key, the key order, comments and formatting stay exactly
 * as they were. A missing file is created in config.example.json's shape (`users`).
 */
import { applyEdits, findNodeAtLocation, modify, type ParseError, parseTree } from "jsonc-parser";
import example from "../../config.example.json" with { type: "json" };
import type { Pools } from "../config/schema.ts";

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
  return replaceTopLevel(text, "users", [], (indent, unit) => usersArrayText(users, indent, unit));
}

/**
 * Replace (or add, as `empty`) the top-level `key`'s value with `render(indent of its line, indent
 * unit)`, leaving every other byte of the file as it was.
 */
export function replaceTopLevel(
  text: string,
  key: string,
  empty: unknown,
  render: (baseIndent: string, unit: string) => string,
): string {
  const errors: ParseError[] = [];
  let root = parseTree(text, errors, { allowTrailingComma: true });
  if (errors.length || !root) throw new ConfigTextError("not valid JSON");
  if (root.type !== "object") throw new ConfigTextError("the top level is not a JSON object");
  const unit = indentUnitOf(text);
  let node = findNodeAtLocation(root, [key]);
  if (!node) {
    text = applyEdits(
      text,
      modify(text, [key], empty, {
        formattingOptions: { insertSpaces: !unit.includes("\t"), tabSize: unit.length, eol: "\n" },
      }),
    );
    root = parseTree(text, [], { allowTrailingComma: true })!;
    node = findNodeAtLocation(root, [key])!;
  }
  const property = node.parent!;
  const replacement = render(lineIndentAt(text, property.offset), unit);
  return text.slice(0, node.offset) + replacement + text.slice(node.offset + node.length);
}

/** Replace (or add) the top-level `pools` object: `discovered` on one line, then one line per user. */
export function replacePools(text: string, pools: Pools): string {
  return replaceTopLevel(text, "pools", {}, (indent, unit) => poolsText(pools, indent, unit));
}

/** `{ "k": v, … }` on one line (JSON.stringify with a space after each ':' and ','). */
function inline(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(inline).join(", ")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined);
    return entries.length
      ? `{ ${entries.map(([k, v]) => `${JSON.stringify(k)}: ${inline(v)}`).join(", ")} }`
      : "{}";
  }
  return JSON.stringify(value);
}

export function poolsText(pools: Pools, baseIndent: string, unit: string): string {
  const inner = baseIndent + unit;
  const lines: string[] = [];
  if (pools.discovered) lines.push(`${inner}"discovered": ${inline(pools.discovered)}`);
  const users = Object.entries(pools.users).map(([name, p]) =>
    `${inner}${unit}${JSON.stringify(name)}: ${inline(p)}`
  );
  lines.push(users.length ? `${inner}"users": {\n${users.join(",\n")}\n${inner}}` : `${inner}"users": {}`);
  return `{\n${lines.join(",\n")}\n${baseIndent}}`;
}

/** A new config in config.example.json's shape, holding these users. */
export function newConfigText(users: ConfigUser[]): string {
  const shape = { ...example, users: [] as ConfigUser[] };
  return replaceUsers(JSON.stringify(shape, null, 2) + "\n", users);
}
