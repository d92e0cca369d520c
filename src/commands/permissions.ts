/** `moodle-load permissions`: the permission table, as users see it. */
import { type CommandName, compileFlags, PERMISSION_KINDS, PERMISSIONS, runFlags } from "../permissions.ts";
import { renderTable } from "../output/table.ts";

export function permissionRows(): string[][] {
  return (Object.keys(PERMISSIONS) as CommandName[]).map((command) => {
    const grants = PERMISSIONS[command] as Record<string, { scope: "*" | readonly string[] } | undefined>;
    return [
      command,
      ...PERMISSION_KINDS.map((kind) => {
        const grant = grants[kind];
        if (!grant) return "-";
        return grant.scope === "*" ? "yes" : grant.scope.join(",");
      }),
    ];
  });
}

export function permissionTableText(): string {
  return renderTable(["Subcommand", ...PERMISSION_KINDS], permissionRows(), {
    align: ["left", ...PERMISSION_KINDS.map(() => "left" as const)],
  });
}

export function printPermissions(options: { json?: boolean }): void {
  if (options.json) {
    const table = Object.fromEntries(
      (Object.keys(PERMISSIONS) as CommandName[]).map((
        c,
      ) => [c, { grants: PERMISSIONS[c], flags: runFlags(c) }]),
    );
    console.log(JSON.stringify({ commands: table, compile_flags: compileFlags() }, null, 2));
    return;
  }
  console.log(permissionTableText());
  console.log(
    "\nEvery kind marked '-' is revoked before the subcommand's code runs (Deno.permissions.revoke)." +
      "\nThe binary is compiled with: " + compileFlags().join(" "),
  );
}
