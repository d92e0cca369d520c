/**
 * A real Moodle 4.3 site for integration tests, started with the shared kit's `start-moodle`
 * (nginx + php-fpm + a private PostgreSQL in one directory; see ../shared/moodle/README.md).
 *
 * Where things are, all overridable so nothing is tied to one machine:
 * - the kit: `MOODLE_KIT` (the `start-moodle` script or its folder), default `../shared/moodle/`
 *   beside the repository root;
 * - the site directory: `MOODLE_TEST_DIR`, default `/tmp/moodle-load-ci-moodle`. It is kept between
 *   runs: a cold install takes 1–2 minutes, a warm start of an installed directory ~0.3 s;
 * - ports: `MOODLE_TEST_PORT` (HTTP, default 18180; php-fpm gets port + 1000) and
 *   `MOODLE_TEST_PG_PORT` (default 55542), chosen apart from the kit's defaults and the dev site's.
 *
 * The site is left RUNNING after the tests: reruns (and `.ci/run`, which starts it before the tests)
 * then cost a fraction of a second instead of a restart. Stop it with
 * `<kit>/stop-moodle --dir /tmp/moodle-load-ci-moodle`; `rm -rf` the directory to forget it.
 *
 * When the site cannot start (no kit, not root, not Debian-like, …) the tests are skipped with a
 * loud reason — except under CI=true, where they fail (see services.ts).
 */
import pg from "pg";
import { ROOT } from "./cli.ts";
import type { Availability } from "./services.ts";

/** The parts of start-moodle's JSON the tests read (the kit prints more). */
export interface RealMoodle {
  base_url: string;
  login_path: string;
  moodle: { release: string; version: string; dirroot: string; perfdebug: number };
  admin: { username: string; password: string; id: number };
  users: { count: number; first_id: number; password: string; enrolled_course_id: number };
  db: {
    url: string;
    host: string;
    port: number;
    name: string;
    user: string;
    password: string;
    prefix: string;
  };
  main_course_id: number;
  courses: RealCourse[];
  dir: string;
  /** The kit's log folder (nginx-access.log holds each request's nginx and PHP time). */
  logs: string;
  /** Kit steps of this call: ["nothing to do (all running)"] on a warm start. */
  actions: string[];
  elapsed_sec: number;
}

export interface RealCourse {
  id: number;
  shortname: string;
  students: number;
  cmids: Record<string, number[]>;
  forum_discussion_ids: number[];
}

/** Test users the suite asks the kit for (the run test logs in 60 of them). */
export const REAL_MOODLE_USERS = 60;

export function kitScript(): string {
  const configured = Deno.env.get("MOODLE_KIT");
  const path = configured ?? `${ROOT}../shared/moodle`;
  try {
    if (Deno.statSync(path).isDirectory) return `${path.replace(/\/+$/, "")}/start-moodle`;
  } catch {
    // a missing path is reported by the availability check
  }
  return path;
}

export function siteDir(): string {
  return Deno.env.get("MOODLE_TEST_DIR") ?? "/tmp/moodle-load-ci-moodle";
}

function startArgs(): string[] {
  return [
    "--dir",
    siteDir(),
    "--port",
    Deno.env.get("MOODLE_TEST_PORT") ?? "18180",
    "--pg-port",
    Deno.env.get("MOODLE_TEST_PG_PORT") ?? "55542",
    "--users",
    String(REAL_MOODLE_USERS),
  ];
}

/** Why start-moodle cannot run here, or undefined when it may. */
function precondition(script: string): string | undefined {
  if (Deno.build.os !== "linux") return `start-moodle needs Linux, this is ${Deno.build.os}`;
  try {
    Deno.statSync(script);
  } catch {
    return `no Moodle kit at ${script} (set MOODLE_KIT to the start-moodle script or its folder)`;
  }
  if (Deno.uid() !== 0) return "start-moodle needs root (it installs packages and runs php as www-data)";
  return undefined;
}

/** Run start-moodle (idempotent) and parse the JSON it prints; stderr is its log. */
async function runKit(script: string): Promise<RealMoodle> {
  const output = await new Deno.Command(script, {
    args: startArgs(),
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
  }).output();
  const decoder = new TextDecoder();
  if (!output.success) {
    const log = decoder.decode(output.stderr).trim().split("\n").slice(-8).join("\n");
    throw new Error(`start-moodle exited ${output.code}:\n${log}`);
  }
  return JSON.parse(decoder.decode(output.stdout)) as RealMoodle;
}

/** Moodle's CLI as the kit documents it: www-data, the kit's php.ini additions, in the code root. */
export async function moodleCli(site: RealMoodle, script: string, ...args: string[]): Promise<string> {
  const output = await new Deno.Command("runuser", {
    args: ["-u", "www-data", "--", "env", `PHP_INI_SCAN_DIR=:${site.dir}/php/conf.d`, "php", script, ...args],
    cwd: site.moodle.dirroot,
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
  }).output();
  const text = new TextDecoder().decode(output.stdout) + new TextDecoder().decode(output.stderr);
  if (!output.success) throw new Error(`php ${script} ${args.join(" ")} exited ${output.code}: ${text}`);
  return text;
}

let started: Promise<{ site?: RealMoodle; availability: Availability }> | undefined;

/**
 * The suite's one site, started on first use. The performance footer is switched on (perfdebug 15,
 * through Moodle's CLI so the config cache is purged) because the run tests read its figures.
 */
export function realMoodle(): Promise<{ site?: RealMoodle; availability: Availability }> {
  started ??= (async () => {
    const script = kitScript();
    const reason = precondition(script);
    if (reason) return { availability: { ok: false, reason } };
    try {
      const site = await runKit(script);
      if (site.moodle.perfdebug <= 7) {
        await moodleCli(site, "admin/cli/cfg.php", "--name=perfdebug", "--set=15");
        site.moodle.perfdebug = 15;
      }
      return { site, availability: { ok: true, reason: "" } };
    } catch (error) {
      return { availability: { ok: false, reason: (error as Error).message } };
    }
  })();
  return started;
}

/** One query on the site's own database (a connection each: tests run rarely and briefly). */
export async function sql<T extends pg.QueryResultRow>(
  moodle: RealMoodle,
  text: string,
  values: unknown[] = [],
) {
  const client = new pg.Client({ connectionString: moodle.db.url });
  await client.connect();
  try {
    return (await client.query<T>(text, values)).rows;
  } finally {
    await client.end();
  }
}
