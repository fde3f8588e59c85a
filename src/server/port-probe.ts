/**
 * @module Checks the port before the workers bind it. uWS listens with
 * SO_REUSEPORT, so a second traffic-tracker on the same port would silently
 * share it (and split the counts); Node binds without it, so it sees the
 * clash. Port 0 becomes a concrete free port every worker can share.
 */
import { createServer } from "node:net";

export class PortInUseError extends Error {
  override name = "PortInUseError";
}

export function probePort(host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once("error", (error: NodeJS.ErrnoException) => {
      if (error.code === "EADDRINUSE") {
        reject(
          new PortInUseError(
            `port ${port} on ${host} is already in use (another traffic-tracker?): stop it or pick another --port`,
          ),
        );
      } else if (error.code === "EADDRNOTAVAIL") {
        reject(new PortInUseError(`cannot listen on ${host}:${port}: the address is not on this machine (--host)`));
      } else if (error.code === "EACCES") {
        reject(new PortInUseError(`not allowed to listen on ${host}:${port}: ports below 1024 need privileges`));
      } else {
        reject(error);
      }
    });
    server.listen({ host, port, exclusive: true }, () => {
      const address = server.address();
      const chosen = typeof address === "object" && address ? address.port : port;
      server.close(() => resolve(chosen));
    });
  });
}
