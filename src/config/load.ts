/** Read, parse and validate a config file, reporting every problem at once. */
import { closest } from "fastest-levenshtein";
import type { z } from "zod";
import { type Config, ConfigFieldsSchema, ConfigSchema } from "./schema.ts";
import { jsonSyntaxError } from "./json_error.ts";
import { EXIT, UserError } from "../errors.ts";
import { redactUrl } from "../util/redact.ts";

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
}

/**
 * A config's problems as the one error every command shows: `FILE: PATH: WHAT — how to fix`, the
 * first problem and a count of the others, or (`all`, for `config check`) every problem on its own line.
 */
export function configUserError(error: ConfigError, detail: "first" | "all" = "first"): UserError {
  const [first, ...rest] = error.problems;
  const unreadable = error.problems.length === 1 && first.message.startsWith("cannot read");
  const fix = unreadable
    ? "check the config path"
    : detail === "all"
    ? "fix the config (schema: config.schema.json)"
    : `fix the config; \`moodle-load config check ${error.file}\` lists every problem`;
  if (detail === "all" && error.problems.length > 1) {
    const lines = error.problems.map((problem) => `  ${problem.path}: ${problem.message}`);
    return new UserError(`${error.message}:\n${lines.join("\n")}\n— ${fix}`, EXIT.usage);
  }
  const more = rest.length ? ` (and ${rest.length} more)` : "";
  return new UserError(`${error.file}: ${first.path}: ${first.message}${more} — ${fix}`, EXIT.usage);
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

/** A key whose value is a secret (`password`, `db_pass`, `api_token`, `secret`, `key`…). */
const SECRET_KEY = /pass|secret|token|key/i;

/** Whether the value at `path` sits under a secret key: its value is never shown, only its type. */
export function isSecretPath(path: readonly PropertyKey[]): boolean {
  return path.some((key) => typeof key === "string" && SECRET_KEY.test(key));
}

/** "number 8080", "an object" — a secret as its type alone, a URL without its password. */
function describeFound(value: unknown, path: readonly PropertyKey[]): string {
  if (value === undefined) return "nothing";
  if (value === null) return "null";
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (typeof value === "object") return "an object";
  if (isSecretPath(path)) return `a ${typeof value} (value hidden)`;
  return `${typeof value} ${redactUrl(JSON.stringify(value))}`;
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

/**
 * One schema issue as problems with JSON paths. `input` is the value the schema checked and `prefix`
 * its path in the whole config (`["db"]` when only the db section was validated).
 */
export function toProblems(
  issue: z.core.$ZodIssue,
  input: unknown,
  prefix: readonly PropertyKey[] = [],
): ConfigProblem[] {
  const path = [...prefix, ...issue.path];
  const found = () => describeFound(valueAt(input, issue.path), path);
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
        message: `expected ${issue.expected}, found ${found()}`,
      }];
    default: {
      const foundText = issue.code === "custom" ? "" : `, found ${found()}`;
      return [{ path: jsonPath(path), message: `${issue.message}${foundText}` }];
    }
  }
}

export interface LoadOptions {
  /** The command line names the workload (`run --journey NAME`): neither `urls` nor `journeys` needed. */
  workloadGiven?: boolean;
}

/** Validate already-parsed JSON. Throws ConfigError with every problem. */
export function validateConfig(input: unknown, file = "config", options: LoadOptions = {}): Config {
  const result = (options.workloadGiven ? ConfigFieldsSchema : ConfigSchema).safeParse(input);
  if (result.success) return result.data;
  throw new ConfigError(file, result.error.issues.flatMap((issue) => toProblems(issue, input)));
}

export function parseConfigText(text: string, file = "config", options: LoadOptions = {}): Config {
  let input: unknown;
  try {
    input = JSON.parse(text);
  } catch {
    throw new ConfigError(file, [{ path: "$", message: jsonSyntaxError(text) }]);
  }
  return validateConfig(input, file, options);
}

export async function loadConfig(file: string, options: LoadOptions = {}): Promise<Config> {
  let text: string;
  try {
    text = await Deno.readTextFile(file);
  } catch (error) {
    const reason = error instanceof Deno.errors.NotFound ? "file not found" : (error as Error).message;
    throw new ConfigError(file, [{ path: "$", message: `cannot read the config (${reason})` }]);
  }
  return parseConfigText(text, file, options);
}
