/**
 * The config file's schema. The original Python tool's format (base_url, login_path, users, parameters, urls)
 * loads unchanged; everything else is an optional extension. `config.schema.json` is generated from
 * this file by `deno task schema` (a test fails when the committed copy is stale).
 */
import { z } from "zod";

const httpUrl = z.string().refine((value) => /^https?:\/\/[^/\s]+/i.test(value) && URL.canParse(value), {
  message: "an http:// or https:// URL, e.g. https://moodle.example.org",
});

export const DurationSchema = z.union([
  z.number().positive().describe("seconds"),
  z.string().regex(/^\d+(\.\d+)?(ms|s|m|h)?$/, 'a duration such as 90, "90s", "2m" or "1h"'),
]);

export const UserSchema = z.strictObject({
  username: z.string().min(1),
  password: z.string(),
});

export const ParameterRangeSchema = z.strictObject({
  min: z.number().int(),
  max: z.number().int(),
});

/** The per-user pools `moodle-load discover` fills (src/pg/discover.ts): what each user can see. */
export const POOL_KINDS = ["enrolled_courses", "cmids", "discussions", "assignments"] as const;
export type PoolKind = typeof POOL_KINDS[number];

export const ParameterPoolSchema = z.strictObject({
  from: z.enum(POOL_KINDS).describe("the per-user pool in `pools.users.<username>` the value comes from"),
  module: z.string().regex(/^[a-z][a-z0-9_]*$/, "a module name such as page, forum, assign, quiz").optional()
    .describe('with "from": "cmids": the activity type (page, forum, assign, quiz, resource, …)'),
}).refine((pool) => (pool.from === "cmids") === (pool.module !== undefined), {
  message: '"module" goes with "from": "cmids" (and only there), e.g. {"from": "cmids", "module": "page"}',
});

export const ParameterValuesSchema = z.strictObject({
  values: z.array(z.union([z.number().int(), z.string().min(1)])).min(1, "at least one value")
    .describe("the same list for every user: one is drawn per request"),
});

export const ParameterSchema = z.union([ParameterRangeSchema, ParameterPoolSchema, ParameterValuesSchema], {
  error:
    'expected a range {"min": 1, "max": 9}, a pool {"from": "enrolled_courses"} (or "cmids" with "module", ' +
    '"discussions", "assignments") or a list {"values": [1, 2]}',
});
export type Parameter = z.output<typeof ParameterSchema>;
export type ParameterPool = z.output<typeof ParameterPoolSchema>;

const IdListSchema = z.array(z.number().int().positive());

export const UserPoolsSchema = z.strictObject({
  enrolled_courses: IdListSchema.optional().describe("visible courses with an active enrolment"),
  cmids: z.record(z.string(), IdListSchema).optional()
    .describe("visible activities of those courses by module name: page, forum, assign, …"),
  discussions: IdListSchema.optional().describe("forum discussions the user can open in those courses"),
  assignments: IdListSchema.optional().describe("cmids of assignments open for the user's submissions"),
});

export const PoolsSchema = z.strictObject({
  discovered: z.strictObject({
    at: z.string().describe("ISO time of the discovery"),
    database: z.string().optional().describe("user@host:port/dbname (never the password)"),
    prefix: z.string().optional(),
    moodle_version: z.number().int().optional(),
    moodle_release: z.string().optional(),
    courses: IdListSchema.optional().describe("the --course filter, when one was given"),
  }).optional().describe("written by `moodle-load discover`: where and when the pools come from"),
  users: z.record(z.string(), UserPoolsSchema).default({}).describe("per username"),
});
export type Pools = z.output<typeof PoolsSchema>;
export type UserPools = z.output<typeof UserPoolsSchema>;

export const UrlSchema = z.strictObject({
  path: z.string().min(1).describe("path below base_url, with {param} placeholders"),
  name: z.string().min(1).optional().describe("endpoint name in tables and thresholds (default: path)"),
  weight: z.number().positive().optional().describe("share of the request mix (default 1)"),
  expect: z.array(z.number().int().min(100).max(599)).min(1).optional()
    .describe("HTTP statuses that count as success (default: any 2xx)"),
});

/** `{name}` or `{random_text:40}` in a journey template. */
export const TEMPLATE_PLACEHOLDER = /\{([A-Za-z_][A-Za-z0-9_]*)(?::(\d+))?\}/g;
/** Placeholders every journey step may use without defining them. */
export const JOURNEY_BUILTINS = ["sesskey", "user", "iteration", "random_text"] as const;

const StepNameSchema = z.string().regex(/^[A-Za-z0-9_.-]+$/, "letters, digits, _ . - (no spaces or slashes)");

export const ExtractSchema = z.union([
  z.strictObject({
    regex: z.string().min(1).describe("a regular expression; the value is its group 1 (or the whole match)"),
  }),
  z.strictObject({
    css: z.string().min(1).describe("a CSS selector; the first match is used"),
    attr: z.string().min(1).optional().describe("the attribute to take (default: the element's text)"),
  }),
], { error: 'expected {"regex": "…"} or {"css": "…", "attr": "…"}' });

export const CheckSchema = z.strictObject({
  status: z.union([z.number().int().min(100).max(599), z.array(z.number().int().min(100).max(599)).min(1)])
    .optional().describe("the final status (after redirects) that counts as success (default: any 2xx)"),
  contains: z.string().min(1).optional().describe("text the page must contain"),
  not_contains: z.string().min(1).optional().describe("text the page must not contain"),
  regex: z.string().min(1).optional().describe("a regular expression the page must match"),
  url: z.string().min(1).optional().describe("a regular expression the final URL must match"),
});

export const ThinkTimeSchema = z.union([
  z.number().nonnegative().describe("ms"),
  z.strictObject({ min: z.number().nonnegative(), max: z.number().nonnegative() })
    .describe("ms, drawn uniformly (seeded)"),
]);

export const FormSchema = z.strictObject({
  selector: z.string().min(1).optional().describe("CSS selector of the form on the previous page"),
  action: z.string().min(1).optional().describe("or: the form whose action contains this text"),
  fields: z.record(z.string(), z.string()).default({})
    .describe("fields to set (templates allowed); every other field keeps the form's value"),
});

export const UploadSchema = z.strictObject({
  field: z.string().min(1).describe(
    "the previous page's form field holding the draft item id (files_filemanager)",
  ),
  size_bytes: z.number().int().positive().optional().describe("upload this many seeded bytes"),
  file: z.string().min(1).optional().describe("or: upload this file (read once, before the run)"),
  name: z.string().min(1).optional().describe(
    "file name in Moodle (templates allowed; default moodle-load-{iteration}.bin)",
  ),
}).refine((u) => (u.size_bytes === undefined) !== (u.file === undefined), {
  message: 'give either "size_bytes" or "file"',
});

export const StepSchema = z.strictObject({
  name: StepNameSchema.describe("the step's endpoint row is named journey/step"),
  method: z.enum(["GET", "POST"]).default("GET"),
  path: z.string().min(1).optional().describe("path below base_url with {templates} (not with form)"),
  fields: z.record(z.string(), z.string()).optional()
    .describe("POST body fields (application/x-www-form-urlencoded), templates allowed"),
  json: z.string().min(1).optional().describe(
    "POST this JSON body to `path` (templates allowed, values JSON-escaped): a Moodle AJAX web-service call " +
      '(lib/ajax/service.php?sesskey={sesskey}&info=…); an answer with "error": true fails the step',
  ),
  form: FormSchema.optional().describe("submit a form of the previous page, keeping its hidden fields"),
  upload: UploadSchema.optional().describe(
    "upload a file into the previous page's file manager (Moodle's upload repository); the page stays the previous one",
  ),
  extract: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), ExtractSchema).optional()
    .describe("variables for later steps, taken from this step's page"),
  check: CheckSchema.optional(),
  on_fail: z.enum(["stop", "continue"]).default("stop").describe("a failed step ends the journey (stop)"),
  think_time_ms: ThinkTimeSchema.optional().describe("pause after this step, before the next (never timed)"),
});
export type JourneyStep = z.output<typeof StepSchema>;

export const JourneySchema = z.strictObject({
  name: StepNameSchema,
  weight: z.number().positive().optional().describe("share of the journey mix (default 1)"),
  steps: z.array(StepSchema).min(1, "at least one step"),
});
export type Journey = z.output<typeof JourneySchema>;

export const StageSchema = z.strictObject({
  duration: DurationSchema,
  rpm: z.number().nonnegative().describe("target requests per minute at the end of the stage"),
});

export const DbSchema = z.strictObject({
  url: z.string().optional().describe("postgres://user@host:port/dbname"),
  host: z.string().optional(),
  port: z.number().int().min(1).max(65535).optional(),
  name: z.string().optional(),
  user: z.string().optional(),
  password: z.string().optional(),
  prefix: z.string().optional().describe("Moodle table prefix (default mdl_)"),
});

/** The config's fields and their cross-checks, without the workload rule of ConfigSchema. */
export const ConfigFieldsSchema = z.strictObject({
  $schema: z.string().optional(),
  base_url: httpUrl.describe("the Moodle site root, may include a sub-path"),
  login_path: z.string().startsWith("/").default("/login/index.php"),
  users: z.array(UserSchema).min(1, "at least one user"),
  parameters: z.record(z.string(), ParameterSchema).default({}),
  urls: z.array(UrlSchema).default([]).describe("single requests (at least one URL, or journeys)"),
  journeys: z.array(JourneySchema).optional()
    .describe("multi-step user journeys; when present, each scheduled item is one journey iteration"),
  seed: z.number().int().nonnegative().optional().describe("PRNG seed: same seed, same URLs and users"),
  rpm: z.number().positive().optional().describe("constant target rate (overridden by --rpm)"),
  duration: DurationSchema.optional().describe("run length (overridden by --duration)"),
  stages: z.array(StageSchema).min(1).optional().describe("piecewise-linear rate ramps"),
  max_body: z.union([
    z.number().int().positive().describe("bytes"),
    z.string().regex(/^\d+(\.\d+)?\s*([KMGT](i?B)?|B)?$/i, 'a size such as "512K", "64M" or "1G"'),
  ]).optional().describe("longest response body accepted (default 64M; overridden by --max-body)"),
  thresholds: z.array(z.string()).optional().describe('pass/fail criteria, e.g. "p95<800ms"'),
  db: DbSchema.optional(),
  pools: PoolsSchema.optional().describe(
    'per-user values for {"from": …} parameters (`moodle-load discover`)',
  ),
}).superRefine((config, ctx) => {
  for (const [name, range] of Object.entries(config.parameters)) {
    if ("min" in range && range.min > range.max) {
      ctx.addIssue({
        code: "custom",
        path: ["parameters", name],
        message: `min (${range.min}) is greater than max (${range.max})`,
      });
    }
  }
  for (const problem of journeyProblems(config.journeys ?? [], config.parameters)) {
    ctx.addIssue({ code: "custom", path: problem.path, message: problem.message });
  }
  config.urls.forEach((url, index) => {
    for (const param of placeholdersOf(url.path)) {
      if (!Object.hasOwn(config.parameters, param)) {
        ctx.addIssue({
          code: "custom",
          path: ["urls", index, "path"],
          message: `{${param}} has no range: add "parameters": {"${param}": {"min": 1, "max": 100}}`,
        });
      }
    }
  });
});

/**
 * A complete config names its workload: `urls` or `journeys`. (`run --journey NAME` brings its own
 * and reads the config with ConfigFieldsSchema: base_url and users are then enough.)
 */
export const ConfigSchema = ConfigFieldsSchema.refine(
  // Runs even when other fields are wrong (`when`), so an empty `urls` is reported beside them.
  (config) => !Array.isArray(config.urls) || config.urls.length > 0 || (config.journeys?.length ?? 0) > 0,
  { path: ["urls"], message: "at least one URL (or a journey in journeys)", when: () => true },
);

export type Config = z.output<typeof ConfigSchema>;
export type ConfigInput = z.input<typeof ConfigSchema>;

export function placeholdersOf(template: string): string[] {
  return [...template.matchAll(/\{([A-Za-z_][A-Za-z0-9_]*)\}/g)].map((match) => match[1]);
}

export function configJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(ConfigSchema, { io: "input", unrepresentable: "any" }) as Record<string, unknown>;
}

/** `{name}`s of a journey template, with the `N` of `{random_text:N}`. */
export function templateNames(template: string): string[] {
  return [...template.matchAll(TEMPLATE_PLACEHOLDER)].map((match) => match[1]);
}

/**
 * What is wrong with journeys beside their shapes: each template's names must be a built-in, a
 * variable an earlier step extracts, or a parameter; a step needs a path or a form; a form step
 * needs a page before it. The schema and the `--journey` presets both use it.
 */
export function journeyProblems(
  journeys: readonly Journey[],
  parameters: Readonly<Record<string, unknown>>,
): { path: (string | number)[]; message: string }[] {
  const problems: { path: (string | number)[]; message: string }[] = [];
  const names = new Set<string>();
  journeys.forEach((journey, j) => {
    if (names.has(journey.name)) {
      problems.push({ path: ["journeys", j, "name"], message: "a second journey of that name" });
    }
    names.add(journey.name);
    const vars = new Set<string>();
    journey.steps.forEach((step, k) => {
      const at = ["journeys", j, "steps", k];
      if (!step.path && !step.form && !step.upload) {
        problems.push({ path: at, message: 'a step needs "path", "form" or "upload"' });
      }
      if (step.form && step.upload) {
        problems.push({ path: at, message: 'a step has "form" or "upload", not both' });
      }
      if (step.json !== undefined && (!step.path || step.form || step.upload || step.fields)) {
        problems.push({
          path: [...at, "json"],
          message: 'a "json" step needs "path" and no "fields", "form" or "upload"',
        });
      }
      for (const kind of ["form", "upload"] as const) {
        if (step[kind] && k === 0) {
          problems.push({ path: [...at, kind], message: `a ${kind} step needs a page before it` });
        }
      }
      if (journey.steps.findIndex((other) => other.name === step.name) !== k) {
        problems.push({
          path: [...at, "name"],
          message: `a second step named "${step.name}" in this journey`,
        });
      }
      const templates = [
        step.path ?? "",
        step.json ?? "",
        ...Object.values(step.fields ?? {}),
        ...Object.values(step.form?.fields ?? {}),
        step.upload?.name ?? "",
      ];
      for (const name of templates.flatMap(templateNames)) {
        const known = (JOURNEY_BUILTINS as readonly string[]).includes(name) || vars.has(name) ||
          Object.hasOwn(parameters, name);
        if (!known) {
          problems.push({
            path: at,
            message: `{${name}} is no built-in ({sesskey}, {user}, {iteration}, {random_text:N}), ` +
              `no variable an earlier step extracts and no parameter: define it in "parameters" or "extract"`,
          });
        }
      }
      for (const name of Object.keys(step.extract ?? {})) vars.add(name);
    });
  });
  return problems;
}
