/**
 * A throwaway PostgreSQL cluster (initdb + pg_ctl under /tmp, a port in 56000-56999) for tests that
 * need server settings the shared local server must not get (e.g. autovacuum_naptime=1). Stopped
 * with `-m immediate` and deleted afterwards. As root, the server runs as the `postgres` user
 * (initdb refuses root).
 */
import type { Availability } from "./services.ts";

export interface ThrowawayCluster {
  host: string;
  port: number;
  /** The bootstrap superuser. */
  user: string;
  stop(): Promise<void>;
}

/** Newest `/usr/lib/postgresql/<major>/bin` with initdb, or $PG_BINDIR. */
export function findPgBin(): string | undefined {
  const fromEnv = Deno.env.get("PG_BINDIR");
  const candidates = fromEnv ? [fromEnv] : [];
  try {
    const majors = [...Deno.readDirSync("/usr/lib/postgresql")].map((e) => e.name)
      .filter((n) => /^\d+$/.test(n)).sort((a, b) => Number(b) - Number(a));
    candidates.push(...majors.map((m) => `/usr/lib/postgresql/${m}/bin`));
  } catch { /* no Debian layout */ }
  return candidates.find((dir) => {
    try {
      return Deno.statSync(`${dir}/initdb`).isFile;
    } catch {
      return false;
    }
  });
}

export function clusterAvailability(): Availability {
  if (!findPgBin()) {
    return { ok: false, reason: "no initdb in /usr/lib/postgresql/*/bin (set PG_BINDIR)" };
  }
  if (Deno.uid() === 0 && !/^postgres:/m.test(readOr("/etc/passwd"))) {
    return { ok: false, reason: "running as root, and there is no postgres user to run the server as" };
  }
  return { ok: true, reason: "" };
}

function readOr(path: string): string {
  try {
    return Deno.readTextFileSync(path);
  } catch {
    return "";
  }
}

async function run(argv: string[], asPostgres: boolean): Promise<string> {
  const [cmd, ...args] = asPostgres ? ["runuser", "-u", "postgres", "--", ...argv] : argv;
  const out = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped", stdin: "null" }).output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  if (!out.success) throw new Error(`${argv.join(" ")} failed (${out.code}):\n${text}`);
  return text;
}

/** Start a fresh cluster with extra `-c name=value` settings; trust auth on 127.0.0.1 only. */
export async function startThrowawayCluster(
  settings: Record<string, string> = {},
): Promise<ThrowawayCluster> {
  const bin = findPgBin();
  if (!bin) throw new Error(clusterAvailability().reason);
  const asPostgres = Deno.uid() === 0;
  const dir = await Deno.makeTempDir({ dir: "/tmp", prefix: "moodle-load-pgcluster-" });
  if (asPostgres) await run(["chown", "postgres:", dir], false);
  const data = `${dir}/data`;
  await run([`${bin}/initdb`, "-D", data, "-A", "trust", "-U", "postgres", "--no-sync"], asPostgres);
  const options = Object.entries({ fsync: "off", listen_addresses: "127.0.0.1", ...settings })
    .map(([key, value]) => `-c ${key}=${value}`).join(" ");
  // A port taken by another test or process: try a few others in the range.
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = 56000 + Math.floor(Math.random() * 1000);
    try {
      await run(
        [
          `${bin}/pg_ctl`,
          "-D",
          data,
          "-l",
          `${dir}/log`,
          "-w",
          "-t",
          "30",
          "-o",
          `-p ${port} -k ${dir} ${options}`,
          "start",
        ],
        asPostgres,
      );
    } catch (error) {
      if (attempt === 4) throw error;
      continue;
    }
    const stop = async () => {
      await run([`${bin}/pg_ctl`, "-D", data, "-m", "immediate", "-w", "stop"], asPostgres).catch(() => {});
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    };
    return { host: "127.0.0.1", port, user: "postgres", stop };
  }
  throw new Error("unreachable");
}
