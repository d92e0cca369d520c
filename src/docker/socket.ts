/** Where the Docker Engine listens by default: docker-stats' socket and its permission scope. */
export const DEFAULT_DOCKER_SOCKET = "/var/run/docker.sock";
