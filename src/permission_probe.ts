/**
 * Tries one real operation of every permission kind and reports whether Deno refused it.
 * `main.ts` runs it instead of the subcommand when given the hidden `--permission-probe` flag, right after the
 * subcommand's undeclared kinds were revoked, so tests can prove what a subcommand cannot do.
 */
import { PERMISSION_KINDS, type PermissionKind } from "./permissions.ts";

export type ProbeOutcome = "allowed" | "refused";

const attempts: Record<PermissionKind, () => Promise<unknown> | unknown> = {
  read: () => Deno.statSync(Deno.cwd()),
  write: () => Deno.removeSync(Deno.makeTempFileSync({ prefix: "moodle-load-probe-" })),
  net: async () => {
    try {
      (await Deno.connect({ hostname: "127.0.0.1", port: 9 })).close();
    } catch (error) {
      if (error instanceof Deno.errors.NotCapable || error instanceof Deno.errors.PermissionDenied) {
        throw error;
      }
      // Connection refused means Deno let us try: the permission was there.
    }
  },
  env: () => Deno.env.get("PATH"),
  run: () =>
    new Deno.Command(Deno.execPath(), { args: ["--version"], stdout: "null", stderr: "null" }).outputSync(),
  sys: () => Deno.hostname(),
};

export async function probePermissions(): Promise<Record<PermissionKind, ProbeOutcome>> {
  const outcomes = {} as Record<PermissionKind, ProbeOutcome>;
  for (const kind of PERMISSION_KINDS) {
    try {
      await attempts[kind]();
      outcomes[kind] = "allowed";
    } catch (error) {
      if (error instanceof Deno.errors.NotCapable || error instanceof Deno.errors.PermissionDenied) {
        outcomes[kind] = "refused";
      } else {
        throw error;
      }
    }
  }
  return outcomes;
}
