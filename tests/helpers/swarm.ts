/**
 * Swarm mode on a private Docker Engine (tests/helpers/docker.ts): a one-node swarm whose manager
 * listens on 127.0.0.1 only. `swarm init` creates the `docker_gwbridge` bridge on the host; it is made
 * beforehand under a name of its own (so it cannot clash with a real Docker's) and removed by `leave()`.
 */
import type { PrivateDocker } from "./docker.ts";

export interface Swarm {
  /** Removes the services, leaves the swarm and deletes the host bridge. */
  leave(): Promise<void>;
}

function freeTcpPort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

export async function initSwarm(engine: PrivateDocker): Promise<Swarm> {
  // A Linux interface name has at most 15 bytes.
  const bridge = `mlt${crypto.randomUUID().slice(0, 8)}`;
  const leave = async () => {
    const services = (await engine.docker(["service", "ls", "-q"])).stdout.split("\n").filter(Boolean);
    if (services.length) await engine.docker(["service", "rm", ...services]);
    await engine.docker(["swarm", "leave", "--force"]);
    await engine.docker(["network", "rm", "docker_gwbridge"]);
    await new Deno.Command("ip", { args: ["link", "delete", bridge], stdout: "null", stderr: "null" })
      .output().catch(() => {});
  };
  try {
    await engine.must([
      "network",
      "create",
      "--driver",
      "bridge",
      "--opt",
      `com.docker.network.bridge.name=${bridge}`,
      "--opt",
      "com.docker.network.bridge.enable_ip_masquerade=false",
      "docker_gwbridge",
    ]);
    const port = freeTcpPort();
    await engine.must([
      "swarm",
      "init",
      "--advertise-addr",
      `127.0.0.1:${port}`,
      "--listen-addr",
      `127.0.0.1:${port}`,
      // The VXLAN port of the ingress network: not the default 4789, which another swarm may hold.
      "--data-path-port",
      String(20_000 + Math.floor(Math.random() * 20_000)),
    ]);
  } catch (error) {
    await leave();
    throw error;
  }
  return { leave };
}

export interface TaskState {
  slot: number;
  state: string;
  exitCode: number;
  error: string;
}

/** The tasks of a replicated service: slot, state (`complete`, `failed`, `running`…), exit code. */
export async function serviceTasks(engine: PrivateDocker, service: string): Promise<TaskState[]> {
  const ids = (await engine.must(["service", "ps", "-q", "--no-trunc", service])).split("\n").filter(Boolean);
  if (ids.length === 0) return [];
  const format = "{{.Slot}}\t{{.Status.State}}\t{{with .Status.ContainerStatus}}{{.ExitCode}}{{end}}\t" +
    "{{.Status.Err}}";
  const lines = (await engine.must(["inspect", "--format", format, ...ids])).trim().split("\n");
  return lines.map((line) => {
    const [slot, state, exitCode, error] = line.split("\t");
    return { slot: Number(slot), state, exitCode: exitCode === "" ? -1 : Number(exitCode), error };
  });
}
