/** Environment reads that never fail: a subcommand may run without env access (src/permissions.ts). */

/** The variable's value, or undefined when it is unset or this process may not read it. */
export function envIfAllowed(name: string): string | undefined {
  // querySync, not a try/catch around get: under --no-prompt a denied read throws, but a prompt-capable
  // run would ask the user about a variable only used for cosmetics.
  if (Deno.permissions.querySync({ name: "env", variable: name }).state !== "granted") return undefined;
  return Deno.env.get(name);
}
