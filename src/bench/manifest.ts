/**
 * A bench run's `manifest.json`: what ran, where, when and how — with every secret removed from
 * the command line (passwords in URLs, password flags, FOO_PASSWORD=… in a prepare command).
 */
import { fileStamp } from "../results/stamp.ts";

import { REDACTED, redactUrl } from "../util/redact.ts";

const SECRET_FLAG = /^--?[\w-]*(password|passwd|pass|secret|token|api-key|apikey)[\w-]*$/i;
const SECRET_ASSIGNMENT =
  /\b([A-Za-z_][A-Za-z0-9_]*(?:PASSWORD|PASSWD|PASS|SECRET|TOKEN|KEY)[A-Za-z0-9_]*)=("[^"]*"|'[^']*'|\S+)/gi;

/** Remove secrets from one string (a URL, a shell command, a flag value). */
export function redactText(text: string): string {
  return redactUrl(text).replace(SECRET_ASSIGNMENT, `$1=${REDACTED}`);
}

/** The command line as run, secrets removed; `--password x` and `--password=x` both hide x. */
export function redactArgv(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const eq = arg.indexOf("=");
    if (arg.startsWith("-") && eq > 0 && SECRET_FLAG.test(arg.slice(0, eq))) {
      out.push(`${arg.slice(0, eq)}=${REDACTED}`);
    } else if (SECRET_FLAG.test(arg) && i + 1 < argv.length) {
      out.push(arg, REDACTED);
      i++;
    } else {
      out.push(redactText(arg));
    }
  }
  return out;
}

export interface StepRecord {
  name: string;
  status: "ok" | "failed" | "skipped";
  started_at?: string;
  seconds?: number;
  error?: string;
}

export interface Manifest {
  tool: "moodle-load";
  version: string;
  tag: string;
  host: string;
  config: string;
  config_hash: string;
  seed?: number;
  started_at: string;
  ended_at: string;
  command: string[];
  base_url?: string;
  restore?: { dump: string; mode: string };
  containers?: string[];
  pg_stats: boolean;
  thresholds: string[];
  steps: StepRecord[];
  failed_step?: string;
  files: string[];
  [key: string]: unknown;
}

export async function sha256Hex(data: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", data as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** `20261121T050000Z` (the one file stamp, results/stamp.ts) + `_tag`, made file-safe. */
export function runDirName(date: Date, tag: string): string {
  const stamp = fileStamp(date);
  const safeTag = tag.replace(/[^A-Za-z0-9_.-]+/g, "-").replace(/^-+|-+$/g, "") || "run";
  return `${stamp}_${safeTag}`;
}
