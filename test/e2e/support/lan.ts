// The relay as a LAN's browsers reach it: serving the built app and p01 on all interfaces, opened at
// the machine's own network address (not loopback, which browsers count as a secure context).
import { mkdtempSync } from 'node:fs';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServe, type ServeHandle } from '../../../src/cli/serve/index.js';
import { FIXTURES, ROOT } from './fixtures.js';

/** The first non-internal IPv4 address, as a phone on the LAN reaches this machine; undefined: none. */
export function lanAddress(): string | undefined {
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return undefined;
}

const started = new Set<ServeHandle>();

/** Closes the relays startLanRelay started (a spec's afterEach). */
export async function closeLanRelays(): Promise<void> {
  await Promise.all([...started].map((relay) => relay.close()));
  started.clear();
}

/**
 * `h264mux serve --file p01 --loop` on 0.0.0.0 with the built app (https with `tls`: given files, or
 * `--tls`'s self-signed certificate, made in a temporary directory).
 */
export async function startLanRelay(
  tls?: { cert: string; key: string } | 'self-signed',
): Promise<ServeHandle> {
  const relay = await startServe(
    {
      source: {
        kind: 'file',
        path: join(FIXTURES, 'p01_pi_baseline_vga30_inline.h264'),
        loop: true,
      },
      host: '0.0.0.0',
      port: 0,
      staticDir: join(ROOT, 'dist'),
      gopCache: true,
      maxViewerBuffer: undefined,
      ...(tls ? { tls } : {}),
    },
    {
      log: () => undefined,
      ...(tls === 'self-signed'
        ? { certificateDir: mkdtempSync(join(tmpdir(), 'h264mux-config-')) }
        : {}),
    },
  );
  started.add(relay);
  return relay;
}
