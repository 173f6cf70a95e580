// How the relay's HTTP viewers end: a clean end of the chunked body only when the stream ended.
import { createServer, get, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { HttpViewer } from '../../src/cli/serve/viewers.js';

let server: Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  server = undefined;
});

/** A viewer that gets 1000 bytes and is then closed for `reason`: how its client saw the body end. */
async function endSeen(reason: string): Promise<{ bytes: number; how: 'end' | 'aborted' }> {
  server = createServer((_req, res) => {
    const viewer = new HttpViewer(res, { upstream: 'up' });
    viewer.writeBytes(new Uint8Array(1000));
    setTimeout(() => viewer.close(reason), 50);
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return new Promise((resolve) => {
    get(`http://127.0.0.1:${port}/stream.h264`, (res) => {
      let bytes = 0;
      res.on('data', (d: Buffer) => (bytes += d.length));
      res.on('end', () => resolve({ bytes, how: 'end' }));
      res.on('error', () => resolve({ bytes, how: 'aborted' }));
    });
  });
}

describe('HttpViewer', () => {
  it('ends the body cleanly at the end of the stream', async () => {
    expect(await endSeen('end of stream')).toEqual({ bytes: 1000, how: 'end' });
  });

  for (const reason of ['source lost mid-frame', 'viewer stalled', 'server shutting down']) {
    it(`aborts it otherwise (${reason}): curl | convert must not take a cut for the end`, async () => {
      expect(await endSeen(reason)).toEqual({ bytes: 1000, how: 'aborted' });
    });
  }
});
