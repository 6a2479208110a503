import type { AddressInfo } from 'node:net';
import { LOOPBACK, type ServeOptions } from '../command-options.js';
import { serveRuns } from './server.js';

/** True for an address only this machine can reach. */
const isLoopback = (host: string): boolean => host === LOOPBACK || host === 'localhost' || host === '::1';

/**
 * `losslab serve`: serves the runs and reports folders until Ctrl-C (exit 0); exit 1 when the
 * port cannot be bound. Prints the address (the chosen one with `--port=0`).
 */
export async function serveCommand(options: ServeOptions): Promise<number> {
  const loopback = isLoopback(options.host);
  const server = serveRuns({ runsDir: options.runsDir, reportsDir: options.reportsDir }, loopback);
  try {
    await new Promise<void>((listening, failed) => {
      server.once('error', failed);
      server.listen(options.port, options.host, () => listening());
    });
  } catch (error) {
    console.error(`error: cannot listen on ${options.host}:${options.port}: ${(error as Error).message}`);
    return 1;
  }
  const { port } = server.address() as AddressInfo;
  if (!loopback)
    console.error(
      `warning: serving on ${options.host}: anyone who can reach port ${port} of this machine can read the runs and reports`,
    );
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  console.log(
    `losslab serve: http://${host}:${port}/ (runs: ${options.runsDir}, reports: ${options.reportsDir}); Ctrl-C stops it`,
  );
  await new Promise<void>((stopped) => {
    const stop = () => {
      server.close(() => stopped());
      server.closeAllConnections();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  return 0;
}
