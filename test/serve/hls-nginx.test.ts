// serve --hls behind a real nginx (Debian's, started on 127.0.0.1 with the documented docs/nginx-hls.conf):
// identical requests from many viewers reach the relay once, a blocking reload comes back with exactly the
// awaited part, and ffmpeg reading the live playlist through nginx decodes the raw stream's frames.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { startNginx, type NginxHandle } from '../../scripts/nginx.mjs';
import { run } from '../helpers/ffmpeg.js';
import { framemd5 } from '../helpers/ffmpeg.js';
import { validatePlaylist } from '../helpers/hls-validator.js';
import { fixturePath, getJson, startRelay, waitFor, type TestRelay } from './helpers.js';

const P01 = fixturePath('p01_pi_baseline_vga30_inline.h264');

interface HlsStatus {
  hls: {
    nextPart: number;
    requests: Record<'playlist' | 'blockingPlaylist' | 'part' | 'segment' | 'init', number>;
  };
}

let relay: TestRelay;
let nginx: NginxHandle;

beforeAll(async () => {
  relay = await startRelay({ kind: 'file', path: P01, loop: true }, { hls: true });
  nginx = await startNginx({ relayPort: relay.port });
  // Two complete segments (about 4 s) before the tests start.
  await waitFor(
    'two HLS segments',
    async () =>
      (await fetch(`${relay.base}/hls/live.m3u8`)).status === 200 &&
      (await (await fetch(`${relay.base}/hls/live.m3u8`)).text()).split('#EXTINF').length > 2,
    30_000,
  );
});

afterAll(async () => {
  await nginx?.stop();
  await relay?.close();
});

const requests = async (): Promise<HlsStatus['hls']['requests']> =>
  (await getJson<HlsStatus>(`${relay.base}/status`)).hls.requests;

describe('LL-HLS through nginx', () => {
  it('60 viewers waiting for the next part and its playlist: one request each reaches the relay, and the playlist comes back with exactly that part', async () => {
    const direct = validatePlaylist(
      await (await fetch(`${relay.base}/hls/live.m3u8`)).text(),
    ).playlist;
    const last = direct.segments.at(-1)!;
    const msn = last.msn;
    const part = last.uri === undefined ? last.parts.length : 0;
    const awaitedMsn = last.uri === undefined ? msn : msn + 1;
    const hint = direct.preloadHints['PART']!;
    const before = await requests();
    const viewers = 60;
    const playlistUrl = `${nginx.base}/hls/live.m3u8?_HLS_msn=${awaitedMsn}&_HLS_part=${part}`;
    const [playlists, parts] = await Promise.all([
      Promise.all(
        Array.from({ length: viewers }, async () => {
          const r = await fetch(playlistUrl);
          return { status: r.status, cache: r.headers.get('x-cache-status'), body: await r.text() };
        }),
      ),
      Promise.all(
        Array.from({ length: viewers }, async () => {
          const r = await fetch(`${nginx.base}/hls/${hint}`);
          return { status: r.status, body: Buffer.from(await r.arrayBuffer()) };
        }),
      ),
    ]);
    const after = await requests();
    expect(playlists.map((p) => p.status)).toEqual(Array(viewers).fill(200));
    expect(parts.map((p) => p.status)).toEqual(Array(viewers).fill(200));
    expect(after.blockingPlaylist - before.blockingPlaylist).toBe(1);
    expect(after.part - before.part).toBe(1);
    expect(playlists.filter((p) => p.cache === 'MISS')).toHaveLength(1);
    expect(new Set(playlists.map((p) => p.body)).size).toBe(1);
    expect(new Set(parts.map((p) => p.body.toString('base64'))).size).toBe(1);
    // The relay answered when the awaited part appeared: it is the last one listed, the hint the next.
    const answer = validatePlaylist(playlists[0]!.body);
    expect(answer.errors).toEqual([]);
    const edge = answer.playlist.segments.at(-1)!;
    expect(edge.msn).toBe(awaitedMsn);
    expect(edge.parts).toHaveLength(part + 1);
    expect(edge.parts.at(-1)!.uri).toBe(hint);
    const direct2 = await fetch(`${relay.base}/hls/${hint}`);
    expect(Buffer.from(await direct2.arrayBuffer()).equals(parts[0]!.body)).toBe(true);
  });

  it('ffmpeg reads the live playlist through nginx and decodes the raw stream’s frames, in order', async () => {
    const raw = await framemd5(P01);
    const r = await run('ffmpeg', [
      '-hide_banner',
      '-nostdin',
      '-v',
      'error',
      '-i',
      `${nginx.base}/hls/live.m3u8`,
      '-map',
      '0:v:0',
      '-frames:v',
      '150',
      '-fps_mode',
      'passthrough',
      '-f',
      'framemd5',
      '-',
    ]);
    expect(r.stderr.toString()).toBe('');
    expect(r.code).toBe(0);
    const got = r.stdout
      .toString()
      .split('\n')
      .filter((l) => l !== '' && !l.startsWith('#'))
      .map((l) => l.split(',').map((f) => f.trim())[5]);
    expect(got).toHaveLength(150);
    // The relay loops the file: the frames are the raw ones from some keyframe on, wrapping around.
    const start = raw.findIndex((h) => h.md5 === got[0]);
    expect(start).toBeGreaterThanOrEqual(0);
    expect(start % 30).toBe(0);
    expect(got).toEqual(got.map((_, i) => raw[(start + i) % raw.length]!.md5));
    const counts = await requests();
    expect(counts.segment).toBeGreaterThan(0);
  });

  it('a bare visit on nginx’s own port is sent to the stream on that port, and the page may open it', async () => {
    // The documented `listen` is 80; here it is another port, which a Host without it (nginx's $host) lost.
    const visit = await fetch(`${nginx.base}/`, { redirect: 'manual' });
    expect(visit.status).toBe(302);
    const stream = `ws://127.0.0.1:${nginx.port}/stream`;
    const location = visit.headers.get('location') ?? '';
    expect(location.startsWith('/?')).toBe(true);
    expect(new URLSearchParams(location.slice(2)).get('src')).toBe(stream);
    // The relay's own page, served through nginx, opens the WebSocket through nginx (its Origin is
    // the Host the relay sees).
    const ws = new WebSocket(stream, { origin: nginx.base });
    const opened = await new Promise<number>((resolve) => {
      ws.on('message', () => resolve(101));
      ws.on('close', (code) => resolve(code));
      ws.on('error', () => resolve(0));
    });
    ws.terminate();
    expect(opened).toBe(101);
  });
});
