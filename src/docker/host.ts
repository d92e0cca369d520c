/** `--docker-host` / `DOCKER_HOST` → the unix socket path docker-stats reads (and nothing else). */
import { DEFAULT_DOCKER_SOCKET } from "./socket.ts";
import { EXIT, UserError } from "../errors.ts";

/**
 * `unix:///path` or a plain absolute path → the path; empty → /var/run/docker.sock. Any other scheme
 * (tcp://, ssh://, npipe://) is refused: docker-stats holds no TCP permission by design.
 */
export function dockerSocketPath(host: string | undefined): string {
  const value = (host ?? "").trim();
  if (value === "") return DEFAULT_DOCKER_SOCKET;
  if (value.startsWith("unix://")) return value.slice("unix://".length) || DEFAULT_DOCKER_SOCKET;
  if (value.startsWith("/")) return value;
  throw new UserError(
    `docker host "${value}" is not supported — docker-stats reads only a local unix socket (it has no TCP ` +
      `permission by design); run it on the Docker host, or forward the socket (ssh -L /tmp/docker.sock:` +
      `/var/run/docker.sock host) and pass --docker-host unix:///tmp/docker.sock`,
    EXIT.usage,
  );
}
