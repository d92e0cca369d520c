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
  parameters: z.record(z.string(), ParameterRangeSchema).default({}),
  urls: z.array(UrlSchema).min(1, "at least one URL"),
  seed: z.number().int().nonnegative().optional().describe("PRNG seed: same seed, same URLs and users"),
  rpm: z.number().positive().optional().describe("constant target rate (overridden by --rpm)"),
  duration: DurationSchema.optional().describe("run length (overridden by --duration)"),
  stages: z.array(StageSchema).min(1).optional().describe("piecewise-linear rate ramps"),
  thresholds: z.array(z.string()).optional().describe('pass/fail criteria, e.g. "p95<800ms"'),
  db: DbSchema.optional(),
}).superRefine((config, ctx) => {
  for (const [name, range] of Object.entries(config.parameters)) {
    if (range.min > range.max) {
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
