/** Starting and stopping node:http servers: loopback unless told otherwise, port 0 = any free port. */
import type { Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export const DEFAULT_HOST = '127.0.0.1';

/** True for addresses only this machine can reach. */
export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '::ffff:127.0.0.1' || /^127\./.test(host);
}

export const exposedWarning = (url: string): string =>
  `warning: listening on ${url}, reachable beyond this machine, without an API key: anyone who can reach it can use it (set --api-key or PDSIM_API_KEY, or bind 127.0.0.1)`;

export interface Listening {
  host: string;
  port: number;
  /** http://host:port, with IPv6 hosts bracketed. */
  url: string;
  /** Stops accepting, destroys open sockets (streams in flight included) and resolves when closed. */
  close(): Promise<void>;
}

export async function listen(server: Server, host = DEFAULT_HOST, port = 0): Promise<Listening> {
  // Node answers 408 to a connection whose request headers are not in within 60 s of the accept.
  // A loaded client opening thousands of streams at once accepts-then-writes that late (5,000
  // streams took 54 s to open on a busy 2-core machine, and one got a 408), while uvicorn, vLLM's
  // server, has no such limit. Headers and body get Node's whole-request limit, 300 s, instead.
  server.headersTimeout = 300_000;
  server.requestTimeout = 300_000;
  const sockets = new Set<Socket>();
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    // A deep accept queue: thousands of clients connecting at once (a benchmark's burst) would
    // otherwise overflow Node's default of 511 and see SYN retries or resets.
    server.listen({ port, host, backlog: 4096 }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address() as AddressInfo;
  const shown = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  return {
    host: addr.address,
    port: addr.port,
    url: `http://${shown}:${addr.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
