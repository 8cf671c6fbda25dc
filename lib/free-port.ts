// A TCP port nothing listens on right now: bound on 127.0.0.1, then closed.
// For a server of one's own (a test's private stack, a benchmark's API) or an address nothing answers.
import net from 'node:net';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}
