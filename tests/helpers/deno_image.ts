/**
 * An image that runs this checkout with `deno run`, built from a local root filesystem and imported into
 * a private Docker Engine (tests/helpers/docker.ts) — nothing is pulled from a registry and nothing is
 * fetched while it runs: the deno binary running the tests and the shared libraries `ldd` lists for it,
 * a static busybox for `/bin/sh`, the project's files (git's list) under /app, and the npm cache of the
 * deno dir (`deno run --cached-only` then resolves every npm: import offline). ~190 MB: one tar stream
 * straight into `docker import -`, no copy on disk.
 */
import { dockerCli, type PrivateDocker } from "./docker.ts";
import { ROOT } from "./cli.ts";

export const SOURCE_IMAGE = "local/moodle-load:source";
/** Where the project and the npm cache are inside the image. */
export const IMAGE_APP = "/app";
export const IMAGE_DENO_DIR = "/deno-dir";

async function output(cmd: string, args: string[], cwd?: string): Promise<string> {
  const out = await new Deno.Command(cmd, { args, cwd, stdout: "piped", stderr: "piped", stdin: "null" })
    .output();
  const decoder = new TextDecoder();
  if (!out.success) throw new Error(`${cmd} ${args.join(" ")}: ${decoder.decode(out.stderr).trim()}`);
  return decoder.decode(out.stdout);
}

/** The shared libraries the dynamic loader needs for `binary`, as absolute paths (ldd's right column). */
async function sharedLibraries(binary: string): Promise<string[]> {
  const text = await output("ldd", [binary]);
  return [...text.matchAll(/(\/\S+) \(0x/g)].map((match) => match[1]);
}

/** The deno dir the test runner uses (DENO_DIR or its default), as `deno info` reports it. */
async function denoDir(): Promise<string> {
  return JSON.parse(await output(Deno.execPath(), ["info", "--json"])).denoDir;
}

/** A sed expression for tar --transform: the absolute path `from` (a prefix) becomes `to`. */
function rename(from: string, to: string): string {
  const escaped = from.slice(1).replace(/[.[\]*^$\\,]/g, "\\$&");
  return `s,^${escaped},${to},`;
}

function exists(path: string): boolean {
  try {
    Deno.lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

/** The small part made here: /etc, /bin/sh, empty mount points. */
async function skeleton(dir: string): Promise<string> {
  const skeleton = `${dir}/deno-rootfs`;
  for (
    const sub of ["bin", "etc", "tmp", "proc", "sys", "dev", IMAGE_APP.slice(1), IMAGE_DENO_DIR.slice(1)]
  ) {
    await Deno.mkdir(`${skeleton}/${sub}`, { recursive: true });
  }
  await Deno.chmod(`${skeleton}/tmp`, 0o1777);
  await Deno.symlink("/bin/busybox", `${skeleton}/bin/sh`); // a copy in the image (tar -h)
  await Deno.writeTextFile(`${skeleton}/etc/passwd`, "root:x:0:0:root:/tmp:/bin/sh\n");
  await Deno.writeTextFile(`${skeleton}/etc/group`, "root:x:0:\n");
  return skeleton;
}

/** Imports SOURCE_IMAGE into `engine`; `dir` holds the small files made for it. */
export async function importSourceImage(engine: PrivateDocker, dir: string): Promise<void> {
  const base = await skeleton(dir);
  const deno = Deno.execPath();
  const npm = `${await denoDir()}/npm`;
  // The checkout as git sees it (tracked and new, not ignored), so an uncommitted change is tested too.
  const listed = await output("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], ROOT);
  const files = listed.split("\0").filter((file) => file && exists(`${ROOT}${file}`)); // not deleted
  const members = [
    ...[...Deno.readDirSync(base)].map((entry) => `${base}/${entry.name}`),
    deno,
    "/bin/busybox",
    ...await sharedLibraries(deno),
    npm,
    ...files.map((file) => `${ROOT}${file}`),
  ];
  const list = `${dir}/deno-rootfs.list`;
  await Deno.writeTextFile(list, members.map((path) => path.slice(1)).join("\0"));
  const transforms = [
    rename(`${base}/`, ""),
    rename(deno, "bin/deno"),
    rename(npm, IMAGE_DENO_DIR.slice(1) + "/npm"),
  ];
  transforms.push(rename(ROOT, IMAGE_APP.slice(1) + "/"));
  const tar = new Deno.Command("tar", {
    // -h: libc.so.6 and friends are symlinks; the image needs the files.
    args: [
      "-C",
      "/",
      "-c",
      "-h",
      "--owner=0",
      "--group=0",
      "--null",
      "-T",
      list,
      ...transforms.flatMap((t) => [
        "--transform",
        t,
      ]),
    ],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const env = ["DENO_DIR=" + IMAGE_DENO_DIR, "HOME=/tmp", "NO_COLOR=1", "PATH=/bin"];
  const importer = new Deno.Command(dockerCli(), {
    args: ["-H", engine.host, "import", "-c", `ENV ${env.join(" ")}`, "-", SOURCE_IMAGE],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const tarErrors = new Response(tar.stderr).text();
  const importText = Promise.all([
    new Response(importer.stdout).text(),
    new Response(importer.stderr).text(),
  ]);
  await tar.stdout.pipeTo(importer.stdin);
  const [tarStatus, importStatus] = await Promise.all([tar.status, importer.status]);
  // Exit 1 with only "file changed as we read it": another deno process adding to the npm cache meanwhile.
  const tarLines = (await tarErrors).trim().split("\n").filter(Boolean);
  const onlyChanged = tarStatus.code === 1 &&
    tarLines.every((line) => line.endsWith("file changed as we read it"));
  if (!tarStatus.success && !onlyChanged) throw new Error(`tar: ${tarLines.join("\n")}`);
  if (!importStatus.success) throw new Error(`docker import: ${(await importText)[1].trim()}`);
}
