// The relay's memory under the WebSocket upload attack of issue 13 (npm run bench:relay-upload):
// 4 clients each send one 90 MB message to /stream (any web page a LAN user opens could). Before the
// fix ws took them (maxPayload 100 MiB): a relay went from ~59 to ~585 MB RSS and stayed near 500 MB.
// Now a message over 64 bytes is refused from its frame header.
//
// Prints the relay's RSS (from its /status) before, at the peak while the clients send, and after they
// left. RELAY_BIN=path/to/dist-lib/bin/main.js measures
// another build (e.g. an older checkout's); MB=90 CLIENTS=4 change the attack.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { ensureLibBuilt, LIB_CLI } from '../scripts/lib-build.mjs';

const ROOT = join(import.meta.dirname, '..');
const MB = Number(process.env.MB ?? 90);
const CLIENTS = Number(process.env.CLIENTS ?? 4);
const bin = process.env.RELAY_BIN ?? (ensureLibBuilt({ log: console.log }), LIB_CLI);
const clip = join(ROOT, 'test/fixtures/p01_pi_baseline_vga30_inline.h264');

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const child = spawn(
  process.execPath,
  [bin, 'serve', '--file', clip, '--loop', '--host', '127.0.0.1', '--port', '0'],
  { stdio: ['ignore', 'pipe', 'pipe'] },
);
child.stderr.on('data', () => undefined);
const port = await new Promise((resolve, reject) => {
  let out = '';
  child.stdout.on('data', (b) => {
    out += b.toString();
    const m = /open http:\/\/127\.0\.0\.1:(\d+)\//.exec(out);
    if (m) resolve(Number(m[1]));
  });
  child.on('exit', (code) => reject(new Error(`relay exited with ${code}`)));
});
const rss = async () =>
  Math.round((await (await fetch(`http://127.0.0.1:${port}/status`)).json()).process.rss / 1e6);

try {
  await sleep(1500);
  const before = await rss();
  let peak = before;
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      peak = Math.max(peak, await rss());
      await sleep(100);
    }
  })();
  const payload = Buffer.alloc(MB * 1e6, 0x41);
  await Promise.all(
    Array.from(
      { length: CLIENTS },
      () =>
        new Promise((resolve) => {
          const ws = new WebSocket(`ws://127.0.0.1:${port}/stream`, { perMessageDeflate: false });
          // Sent (or cut off by the relay): give the relay a moment with it, then leave.
          ws.on('open', () => ws.send(payload, () => setTimeout(() => ws.terminate(), 1500)));
          ws.on('close', resolve);
          ws.on('error', () => undefined);
        }),
    ),
  );
  await sleep(3000);
  sampling = false;
  await sampler;
  const after = await rss();
  console.log(
    JSON.stringify(
      {
        relay: bin,
        clients: CLIENTS,
        messageMB: MB,
        rssMB: { before, peak, after },
      },
      null,
      2,
    ),
  );
} finally {
  child.kill('SIGTERM');
}
