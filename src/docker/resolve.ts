/** Which running containers `--containers a b …` names: exact names or ids, else unique prefixes. */
import { EXIT, UserError } from "../errors.ts";

export interface RunningContainer {
  id: string;
  /** Without the leading "/" the Engine puts on names. */
  name: string;
}

/** The Engine's list entry (`GET /containers/json`) → id and primary name. */
export function runningContainer(info: { Id: string; Names?: string[] }): RunningContainer {
  const name = (info.Names ?? []).map((n) => n.replace(/^\//, "")).find((n) => !n.includes("/"));
  return { id: info.Id, name: name ?? info.Id.slice(0, 12) };
}

function describe(running: readonly RunningContainer[]): string {
  return running.length
    ? `running: ${running.map((c) => c.name).sort().join(", ")}`
    : "no container is running";
}

/** One identifier → one container, or a UserError naming it and listing the running ones. */
export function resolveOne(wanted: string, running: readonly RunningContainer[]): RunningContainer {
  const exact = running.filter((c) => c.name === wanted || c.id === wanted);
  if (exact.length === 1) return exact[0];
  const prefixed = running.filter((c) => c.name.startsWith(wanted) || c.id.startsWith(wanted));
  if (prefixed.length === 1) return prefixed[0];
  if (prefixed.length > 1) {
    throw new UserError(
      `container "${wanted}" is ambiguous — it matches ${
        prefixed.map((c) => c.name).join(", ")
      }; use more of the name or id`,
      EXIT.usage,
    );
  }
  throw new UserError(`no running container "${wanted}" — ${describe(running)}`, EXIT.usage);
}

/** Every identifier resolved (duplicates dropped), in the order given. */
export function resolveContainers(
  wanted: readonly string[],
  running: readonly RunningContainer[],
): RunningContainer[] {
  const chosen = new Map<string, RunningContainer>();
  for (const identifier of wanted) {
    const container = resolveOne(identifier, running);
    chosen.set(container.id, container);
  }
  return [...chosen.values()];
}
