/** Loopback port helpers. Everything here binds 127.0.0.1 only. */
import net from "node:net";

/** A port the OS just handed out on 127.0.0.1 (free now; a small race remains until it is bound). */
export function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.unref();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      probe.close(() => (port > 0 ? resolve(port) : reject(new Error("could not allocate a loopback port"))));
    });
  });
}
