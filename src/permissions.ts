/**
 * The one source of truth for what each subcommand may do.
 *
 * `main.ts` revokes every kind a subcommand does not declare before any of its code runs;
 * `scripts/compile.ts` grants the union of all declarations to the compiled binary;
 * `scripts/permission_flags.ts` turns one entry into the `deno run` flags of its task.
 *
 * Deno can revoke a whole kind at run time, but not narrow a granted kind to a scope, so scopes
 * (where they are known up front) are exact under `deno task <command>` and widen to the union in
 * the compiled binary. See README "Permissions".
 */
import { DEFAULT_DOCKER_SOCKET } from "./docker/socket.ts";

import { SHARD_ENV } from "./config/shard.ts";

export const PERMISSION_KINDS = ["read", "write", "net", "env", "run", "sys"] as const;
export type PermissionKind = typeof PERMISSION_KINDS[number];

/** `"*"` grants the whole kind; a list grants only those scopes. */
export type Scope = "*" | readonly string[];

export interface Grant {
  scope: Scope;
  why: string;
}

export type CommandPermissions = Partial<Record<PermissionKind, Grant>>;

const ANY = "*" as const;
/** docker-stats' default --out (relative to the working directory). */
export const DEFAULT_STATS_DIR = "stats";

export const PERMISSIONS = {
  "config check": {
    read: { scope: ANY, why: "the config file named on the command line" },
  },
  "journey import-har": {
    read: { scope: ANY, why: "the HAR file named on the command line" },
    write: { scope: ANY, why: "the journey file given by --out" },
  },
  "permissions": {},
  "run": {
    read: { scope: ANY, why: "the config file and --ca-cert" },
    write: { scope: ANY, why: "the files under --out, --request-log and --junit" },
    net: { scope: ANY, why: "the Moodle site named by base_url" },
    env: { scope: SHARD_ENV, why: "--shard auto: the scheduler's shard index and count" },
  },
  "demo": {
    read: { scope: ANY, why: "the temporary config it writes" },
    write: { scope: ANY, why: "a temporary config and the files under --out" },
    net: { scope: ANY, why: "the built-in demo site on 127.0.0.1 and --dashboard" },
    env: { scope: SHARD_ENV, why: "--shard auto: the scheduler's shard index and count" },
  },
  "users": {
    read: { scope: ANY, why: "the config file (db section, users to rewrite)" },
    write: { scope: ANY, why: "the config file, rewritten atomically with the users" },
    net: { scope: ANY, why: "the PostgreSQL server" },
    env: { scope: ANY, why: "PGHOST/PGPORT/PGUSER/PGPASSWORD/…; the pg client reads its environment" },
  },
  "discover": {
    read: { scope: ANY, why: "the config file (users, db section) and ~/.pgpass" },
    write: { scope: ANY, why: "the config file, rewritten atomically with the pools" },
    net: { scope: ANY, why: "the PostgreSQL server (read only)" },
    env: { scope: ANY, why: "PGHOST/PGPORT/PGUSER/PGPASSWORD/…; the pg client reads its environment" },
  },
  "db snapshot": {
    read: { scope: ANY, why: "the output folder, pg_dump/pg_restore paths, the config file" },
    write: { scope: ANY, why: "the dump file (temp file, then renamed)" },
    net: { scope: ANY, why: "the PostgreSQL server (size and table count, version check)" },
    env: { scope: ANY, why: "PG* connection variables, passed on to pg_dump" },
    run: { scope: ANY, why: "pg_dump and pg_restore --list (any path given by --pg-dump-path)" },
  },
  "db restore": {
    read: { scope: ANY, why: "the dump file, pg_restore's path, the config file" },
    net: { scope: ANY, why: "the PostgreSQL server (end sessions, drop/create, ANALYZE)" },
    env: { scope: ANY, why: "PG* connection variables, passed on to pg_restore" },
    run: { scope: ANY, why: "pg_restore (any path given by --pg-restore-path)" },
  },
  "docker-stats": {
    env: { scope: ANY, why: "DOCKER_HOST; dockerode's dependencies enumerate the environment" },
    read: { scope: [DEFAULT_DOCKER_SOCKET], why: "the Docker socket (checked before connecting)" },
    write: {
      scope: [DEFAULT_DOCKER_SOCKET, DEFAULT_STATS_DIR],
      why: "the socket (a connect writes to it) and the CSVs in ./stats (another --out needs a wider grant)",
    },
    net: { scope: [`unix:${DEFAULT_DOCKER_SOCKET}`], why: "the Docker Engine API over its unix socket only" },
  },
  "pg-stats": {
    env: { scope: ANY, why: "PG* connection settings" },
    read: { scope: ANY, why: "the --config file (db section) and ~/.pgpass" },
    write: { scope: ANY, why: "the CSV in the user-chosen --out" },
    net: { scope: ANY, why: "the PostgreSQL server named by the connection flags" },
  },
  "compare": {
    read: { scope: ANY, why: "the two run directories or summary files named on the command line" },
    write: { scope: ANY, why: "the --junit file" },
  },
  "report": {
    read: { scope: ANY, why: "the run directory: summary, capture CSVs, manifest" },
    write: { scope: ANY, why: "report.html in the run directory (or --out)" },
  },
  "merge": {
    read: { scope: ANY, why: "the shards' run directories or summary files named on the command line" },
    write: { scope: ANY, why: "the merged summary, progress and endpoint files under --out" },
  },
  "bench": {
    read: { scope: ANY, why: "the config, --ca-cert, the dump, the run directory (report)" },
    write: { scope: ANY, why: "the run directory: load files, capture CSVs, manifest, report; --junit" },
    net: { scope: ANY, why: "the Moodle site named by base_url; the PostgreSQL server (restore)" },
    env: { scope: ANY, why: "PG* connection variables for --restore, passed on to pg_restore" },
    run: { scope: ANY, why: "pg_restore for --restore" },
    sys: { scope: ["hostname"], why: "the host name in manifest.json" },
  },
  "bisect": {
    read: { scope: ANY, why: "the config, the baseline run, the dump, the step's run directory" },
    write: { scope: ANY, why: "the step's run directory" },
    net: { scope: ANY, why: "the Moodle site named by base_url; the PostgreSQL server (restore)" },
    env: { scope: ANY, why: "PG* connection variables for --restore, passed on to pg_restore" },
    run: { scope: ANY, why: "--prepare (sh -c), git rev-parse for the commit id, pg_restore" },
    sys: { scope: ["hostname"], why: "the host name in manifest.json" },
  },
} as const satisfies Record<string, CommandPermissions>;

export type CommandName = keyof typeof PERMISSIONS;

export function isCommandName(name: string): name is CommandName {
  return Object.hasOwn(PERMISSIONS, name);
}

export function permissionsOf(command: CommandName): CommandPermissions {
  return PERMISSIONS[command];
}

/** The kinds a command does not declare: these are revoked before it runs. */
export function undeclaredKinds(command: CommandName): PermissionKind[] {
  const declared = permissionsOf(command);
  return PERMISSION_KINDS.filter((kind) => !(kind in declared));
}

/** `--allow-<kind>[=scopes]` flags for a set of grants. */
export function flagsFor(grants: CommandPermissions): string[] {
  return PERMISSION_KINDS.flatMap((kind) => {
    const grant = grants[kind];
    if (!grant) return [];
    return grant.scope === ANY ? [`--allow-${kind}`] : [`--allow-${kind}=${grant.scope.join(",")}`];
  });
}

/** The union of every command's grants: what the compiled binary is given. */
export function unionOfAll(): CommandPermissions {
  const union: CommandPermissions = {};
  for (const grants of Object.values(PERMISSIONS) as CommandPermissions[]) {
    for (const kind of PERMISSION_KINDS) {
      const grant = grants[kind];
      if (!grant) continue;
      const previous = union[kind];
      if (!previous) union[kind] = { scope: grant.scope, why: grant.why };
      else if (previous.scope !== ANY) {
        union[kind] = {
          scope: grant.scope === ANY ? ANY : [...new Set([...previous.scope, ...grant.scope])],
          why: `${previous.why}; ${grant.why}`,
        };
      }
    }
  }
  return union;
}

export function compileFlags(): string[] {
  return flagsFor(unionOfAll());
}

export function runFlags(command: CommandName): string[] {
  return flagsFor(permissionsOf(command));
}
