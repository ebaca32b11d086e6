/**
 * fauxqs (SQS emulator, AWS JSON protocol only) in this process, on a free loopback port.
 *
 * We use fauxqs's `buildApp` rather than `startFauxqs`: the latter always listens on 0.0.0.0,
 * and this backend must only be reachable from 127.0.0.1 (the gateway is its public face).
 */
import type { AddressInfo } from "node:net";

export interface FauxqsBackend {
  readonly port: number;
  stop(): Promise<void>;
}

export async function startFauxqsBackend(options: { region: string }): Promise<FauxqsBackend> {
  // No `host` option: fauxqs then builds queue URLs as `sqs.<region>.localhost:<port of the
  // request's Host header>`, and the gateway always sends Host 127.0.0.1:<this port>.
  // Dynamic import: fauxqs is ESM-only (its exports map has just an "import" condition), and this
  // file may be loaded as CommonJS (tsx in a package without "type": "module").
  const { buildApp } = await import("fauxqs");
  const app = buildApp({ logger: false, defaultRegion: options.region });
  await app.listen({ port: 0, host: "127.0.0.1" });
  const port = (app.server.address() as AddressInfo).port;
  let stopping: Promise<void> | undefined;
  return {
    port,
    stop() {
      // close() also ends pending long polls (fauxqs's preClose hook cancels their waiters).
      stopping ??= Promise.resolve(app.close()).then(() => undefined);
      return stopping;
    },
  };
}
