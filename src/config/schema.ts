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

export const ConfigSchema = z.strictObject({
  $schema: z.string().optional(),
  base_url: httpUrl.describe("the Moodle site root, may include a sub-path"),
  login_path: z.string().startsWith("/").default("/login/index.php"),
  users: z.array(UserSchema).min(1, "at least one user"),
  parameters: z.record(z.string(), ParameterSchema).default({}),
  urls: z.array(UrlSchema).min(1, "at least one URL"),
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

export type Config = z.output<typeof ConfigSchema>;
export type ConfigInput = z.input<typeof ConfigSchema>;

export function placeholdersOf(template: string): string[] {
  return [...template.matchAll(/\{([A-Za-z_][A-Za-z0-9_]*)\}/g)].map((match) => match[1]);
}

export function configJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(ConfigSchema, { io: "input", unrepresentable: "any" }) as Record<string, unknown>;
}
