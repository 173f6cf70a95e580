// A slow link: a TCP proxy to 127.0.0.1:`port` whose downstream (server to client) carries at most
// `bytesPerSecond`; upstream is not limited. What the system's socket buffers on both sides of it hold
// is hidden from the server, as a real network's buffers are.
import { createServer, connect, type Socket } from 'node:net';

export interface SlowLink {
  readonly port: number;
  close(): Promise<void>;
}

export function startSlowLink(port: number, bytesPerSecond: number): Promise<SlowLink> {
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const up = connect(port, '127.0.0.1');
    sockets.add(client).add(up);
    const start = performance.now();
    let carried = 0;
    client.pipe(up);
    up.on('data', (chunk: Buffer) => {
      client.write(chunk);
      carried += chunk.length;
      const ahead = (carried / bytesPerSecond) * 1000 - (performance.now() - start);
      if (ahead > 0) {
        up.pause();
        setTimeout(() => up.resume(), ahead);
      }
    });
    for (const s of [client, up]) {
      s.on('error', () => undefined);
      s.on('close', () => {
        sockets.delete(s);
        client.destroy();
        up.destroy();
      });
    }
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      resolve({
        port: typeof address === 'object' && address ? address.port : 0,
        close: () => {
          for (const s of sockets) s.destroy();
          return new Promise<void>((done) => server.close(() => done()));
        },
      });
    }),
  );
}
