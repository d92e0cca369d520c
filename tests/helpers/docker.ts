/**
 * A private Docker Engine for tests: `dockerd` on a socket in a temp dir (never /var/run/docker.sock),
 * no bridge/iptables, vfs storage (or overlay2), and a `local/busybox:static` image imported from the machine's
 * static busybox (nothing is pulled). `stop()` removes the containers, stops the daemon and deletes
 * the temp dir. Needs root, Debian's `docker.io` and `busybox-static` (.ci/setup-extras installs them).
 */
import type { Availability } from "./services.ts";

export const BUSYBOX_IMAGE = "local/busybox:static";
const BUSYBOX = "/bin/busybox";
const APPLETS = ["sh", "sleep", "cat", "dd", "yes", "true", "head", "tr"];

/** The docker CLI that ships with docker.io (matches the daemon), else whatever is on PATH. */
export function dockerCli(): string {
  try {
    Deno.statSync("/usr/bin/docker");
    return "/usr/bin/docker";
  } catch {
    return "docker";
  }
}

async function run(cmd: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const out = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped", stdin: "null" })
      .output();
    const dec = new TextDecoder();
    return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
  } catch (error) {
    return { code: 127, stdout: "", stderr: String(error) };
  }
}

/** Whether this machine can run a private dockerd (without starting one). */
export async function dockerAvailability(): Promise<Availability> {
  if (Deno.build.os !== "linux") return { ok: false, reason: "not Linux" };
  if (Deno.uid() !== 0) return { ok: false, reason: "dockerd needs root" };
  const version = await run("dockerd", ["--version"]);
  if (version.code !== 0) return { ok: false, reason: "dockerd not installed (apt-get install docker.io)" };
  const busybox = await run("file", ["-L", BUSYBOX]);
  const staticBusybox = busybox.code === 0 ? /statically linked|static-pie/.test(busybox.stdout) : true;
  try {
    Deno.statSync(BUSYBOX);
  } catch {
    return { ok: false, reason: `${BUSYBOX} missing (apt-get install busybox-static)` };
  }
  if (!staticBusybox) {
    return { ok: false, reason: `${BUSYBOX} is not static (apt-get install busybox-static)` };
  }
  return { ok: true, reason: "" };
}

export interface PrivateDocker {
  dir: string;
  socket: string;
  /** `unix://<socket>` for --docker-host. */
  host: string;
  /** Run the docker CLI against this daemon. */
  docker(args: string[]): Promise<{ code: number; stdout: string; stderr: string }>;
  /** Like docker() but throws with the output when it fails. */
  must(args: string[]): Promise<string>;
  /** Deno flags for docker-stats as its task has them, but for this socket: the socket and `outdir` only. */
  flags(outdir: string): string[];
  stop(): Promise<void>;
}

export interface PrivateDockerOptions {
  /**
   * `vfs` (default) works on any file system but copies the whole image for every container; `overlay2`
   * (needs overlayfs, and /tmp not on overlayfs) shares it — for images of a few hundred MB.
   */
  storageDriver?: "vfs" | "overlay2";
}

export async function startPrivateDocker(options: PrivateDockerOptions = {}): Promise<PrivateDocker> {
  // Short path: a unix socket path must stay under ~108 bytes.
  const dir = await Deno.makeTempDir({ prefix: "mlt-dkr-", dir: "/tmp" });
  const socket = `${dir}/docker.sock`;
  const host = `unix://${socket}`;
  await Deno.mkdir(`${dir}/data`);
  await Deno.mkdir(`${dir}/exec`);
  const daemonArgs = [
    "--host",
    host,
    "--data-root",
    `${dir}/data`,
    "--exec-root",
    `${dir}/exec`,
    "--pidfile",
    `${dir}/dockerd.pid`,
    "--iptables=false",
    "--ip6tables=false",
    "--bridge=none",
    `--storage-driver=${options.storageDriver ?? "vfs"}`,
  ];
  // The daemon's output goes to its log file (shown when it fails to start).
  const daemon = new Deno.Command("sh", {
    args: ["-c", `exec dockerd "$@" >"${dir}/dockerd.log" 2>&1`, "dockerd", ...daemonArgs],
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();

  const cli = dockerCli();
  const docker = (args: string[]) => run(cli, ["-H", host, ...args]);
  const must = async (args: string[]) => {
    const result = await docker(args);
    if (result.code !== 0) throw new Error(`docker ${args.join(" ")}: ${result.stderr.trim()}`);
    return result.stdout;
  };

  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    const ids = (await docker(["ps", "-aq"])).stdout.split("\n").filter(Boolean);
    if (ids.length) await docker(["rm", "-f", ...ids]);
    try {
      daemon.kill("SIGTERM");
    } catch { /* already gone */ }
    const exited = await Promise.race([
      daemon.status.then(() => true),
      new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 20_000)),
    ]);
    if (!exited) {
      try {
        daemon.kill("SIGKILL");
      } catch { /* gone */ }
      await daemon.status;
    }
    // dockerd leaves namespace mounts under exec/ (exec/netns/default once swarm mode ran): deepest first.
    const mounts = (await Deno.readTextFile("/proc/self/mounts")).split("\n").map((line) =>
      line.split(" ")[1]
    )
      .filter((point) => point?.startsWith(`${dir}/`)).sort().reverse();
    for (const point of mounts) await run("umount", [point]);
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  };

  try {
    const deadline = Date.now() + 45_000;
    for (;;) {
      if ((await docker(["version", "--format", "{{.Server.Version}}"])).code === 0) break;
      const status = await Promise.race([daemon.status, new Promise((r) => setTimeout(() => r(null), 500))]);
      if (status !== null || Date.now() > deadline) {
        const text = await Deno.readTextFile(`${dir}/dockerd.log`).catch(() => "");
        throw new Error(`dockerd did not start on ${socket}:\n${text.split("\n").slice(-15).join("\n")}`);
      }
    }
    // An image without a registry: a static busybox root filesystem.
    const rootfs = `${dir}/rootfs`;
    for (const sub of ["bin", "tmp", "proc", "sys", "dev", "etc"]) {
      await Deno.mkdir(`${rootfs}/${sub}`, { recursive: true });
    }
    await Deno.copyFile(BUSYBOX, `${rootfs}/bin/busybox`);
    await Deno.chmod(`${rootfs}/bin/busybox`, 0o755);
    for (const applet of APPLETS) await Deno.symlink("busybox", `${rootfs}/bin/${applet}`);
    const tar = await run("tar", ["-C", rootfs, "-cf", `${dir}/rootfs.tar`, "."]);
    if (tar.code !== 0) throw new Error(`tar: ${tar.stderr}`);
    await must(["import", "-c", 'CMD ["/bin/sh"]', `${dir}/rootfs.tar`, BUSYBOX_IMAGE]);
  } catch (error) {
    await stop();
    throw error;
  }

  return {
    dir,
    socket,
    host,
    docker,
    must,
    flags: (outdir: string) => [
      "--allow-env",
      `--allow-read=${socket}`,
      `--allow-write=${socket},${outdir}`,
      `--allow-net=unix:${socket}`,
    ],
    stop,
  };
}
