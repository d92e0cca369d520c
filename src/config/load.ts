/** Read, parse and validate a config file, reporting every problem at once. */
import { closest } from "fastest-levenshtein";
import type { z } from "zod";
import { type Config, ConfigSchema } from "./schema.ts";
import { jsonSyntaxError } from "./json_error.ts";

export interface ConfigProblem {
  /** JSON path such as `$.urls[2].path`. */
  path: string;
  message: string;
}

export class ConfigError extends Error {
  constructor(readonly file: string, readonly problems: ConfigProblem[]) {
    super(`${file}: ${problems.length} problem${problems.length === 1 ? "" : "s"}`);
    this.name = "ConfigError";
  }

  /** One line per problem, ready for the terminal. */
  describe(): string {
    const lines = this.problems.map((problem) => `  ${problem.path}: ${problem.message}`);
    return `${this.message}:\n${lines.join("\n")}\nFix the file (schema: config.schema.json) and run again.`;
  }
}

export function jsonPath(path: readonly PropertyKey[]): string {
  return "$" +
    path.map((key) =>
      typeof key === "number"
        ? `[${key}]`
        : /^[A-Za-z_$][\w$]*$/.test(String(key))
        ? `.${String(key)}`
        : `[${JSON.stringify(String(key))}]`
    ).join("");
}

function describeFound(value: unknown): string {
  if (value === undefined) return "nothing";
  if (value === null) return "null";
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (typeof value === "object") return "an object";
  return `${typeof value} ${JSON.stringify(value)}`;
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let node = root;
  for (const key of path) {
    if (node === null || typeof node !== "object") return undefined;
    node = (node as Record<PropertyKey, unknown>)[key];
  }
  return node;
}

function knownKeysAt(path: readonly PropertyKey[]): string[] {
  // Walk the schema's shape along the path (arrays and records step into their element).
  // deno-lint-ignore no-explicit-any
  let schema: any = ConfigSchema;
  for (const key of path) {
    // deno-lint-ignore no-explicit-any
    const def: any = schema?._zod?.def;
    if (!def) return [];
    if (def.type === "pipe") schema = def.in;
    // deno-lint-ignore no-explicit-any
    const inner: any = schema?._zod?.def;
    if (inner?.type === "object") schema = inner.shape[key as string];
    else if (inner?.type === "array") schema = inner.element;
    else if (inner?.type === "record") schema = inner.valueType;
    else return [];
    while (["optional", "default", "pipe"].includes(schema?._zod?.def?.type)) {
      const d = schema._zod.def;
      schema = d.type === "pipe" ? d.in : d.innerType;
    }
  }
  // deno-lint-ignore no-explicit-any
  const def: any = schema?._zod?.def;
  return def?.type === "object" ? Object.keys(def.shape) : [];
}

function toProblems(issue: z.core.$ZodIssue, input: unknown): ConfigProblem[] {
  const path = issue.path;
  switch (issue.code) {
    case "unrecognized_keys": {
      const known = knownKeysAt(path);
      return issue.keys.map((key) => {
        const suggestion = known.length ? closest(key, known) : undefined;
        const hint = suggestion ? `; did you mean "${suggestion}"?` : "";
        return { path: jsonPath([...path, key]), message: `unknown key "${key}"${hint}` };
      });
    }
    case "invalid_type":
      return [{
        path: jsonPath(path),
        message: `expected ${issue.expected}, found ${describeFound(valueAt(input, path))}`,
      }];
    default: {
      const found = valueAt(input, path);
      const foundText = issue.code === "custom" ? "" : `, found ${describeFound(found)}`;
      return [{ path: jsonPath(path), message: `${issue.message}${foundText}` }];
    }
  }
}

/** Validate already-parsed JSON. Throws ConfigError with every problem. */
export function validateConfig(input: unknown, file = "config"): Config {
  const result = ConfigSchema.safeParse(input);
  if (result.success) return result.data;
  throw new ConfigError(file, result.error.issues.flatMap((issue) => toProblems(issue, input)));
}

export function parseConfigText(text: string, file = "config"): Config {
  let input: unknown;
  try {
    input = JSON.parse(text);
  } catch {
    throw new ConfigError(file, [{ path: "$", message: jsonSyntaxError(text) }]);
  }
  return validateConfig(input, file);
}

export async function loadConfig(file: string): Promise<Config> {
  let text: string;
  try {
    text = await Deno.readTextFile(file);
  } catch (error) {
    const reason = error instanceof Deno.errors.NotFound ? "file not found" : (error as Error).message;
    throw new ConfigError(file, [{ path: "$", message: `cannot read the config (${reason})` }]);
  }
  return parseConfigText(text, file);
}
