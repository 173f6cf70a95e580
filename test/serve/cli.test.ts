// `runServe` as the CLI runs it: flags, messages for the errors a user meets, the static file server.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseServeArgs, runServe } from '../../src/cli/serve/index.js';
import { fixturePath, waitFor } from './helpers.js';
import { feedByClock } from '../helpers/clock-feed.js';

/** Runs `runServe` in-process; `during` gets the port (and what was logged so far), then the server is stopped. */
async function serve(
  argv: string[],
  during?: (port: number, logged: () => string) => Promise<void>,
  stdin?: NodeJS.ReadableStream,
): Promise<{ code: number; out: string; err: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (b: Buffer) => (out += b.toString()));
  stderr.on('data', (b: Buffer) => (err += b.toString()));
  const stop = new AbortController();
  let port = -1;
  const running = runServe(argv, {
    stdout,
    stderr,
    signal: stop.signal,
    onListening: (p) => (port = p),
    ...(stdin ? { stdin } : {}),
  });
  const settled = running.then(() => true);
  if (during) {
    await Promise.race([waitFor('listening', () => port >= 0), settled]);
    if (port >= 0) {
      try {
        await during(port, () => err);
      } finally {
        stop.abort();
      }
    }
  }
  const code = await running;
  return { code, out, err };
}

/** A raw request: the path goes out exactly as written (no client-side normalisation). */
function raw(
  port: number,
  path: string,
  method = 'GET',
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, headers }, (res) => {
      let body = '';
      res.on('data', (b: Buffer) => {
        body += b.toString();
        if (body.length > 4096) res.destroy();
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      res.on('close', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

const SECRET = 'TOP-SECRET-OUTSIDE-THE-APP';
let base: string;
let app: string;
beforeAll(async () => {
  base = await mkdtemp(join(tmpdir(), 'h264mux-serve-'));
  app = join(base, 'app');
  await mkdir(join(app, 'assets'), { recursive: true });
  await writeFile(join(base, 'secret.txt'), SECRET);
  await writeFile(join(app, 'index.html'), '<!doctype html><title>h264mux</title>');
  await writeFile(join(app, 'assets', 'main-abc.js'), 'console.log(1)');
  await writeFile(join(app, 'assets', 'style.css'), 'body{}');
  await writeFile(join(app, 'assets', 'icon.svg'), '<svg/>');
  await writeFile(join(app, 'assets', 'x.wasm'), new Uint8Array([0, 0x61, 0x73, 0x6d]));
});
afterAll(async () => rm(base, { recursive: true, force: true }));

const demo = fixturePath('p01_pi_baseline_vga30_inline.h264');

describe('runServe', () => {
  it('prints usage for --help and refuses bad flags with a hint', async () => {
    const help = await serve(['--help']);
    expect(help.code).toBe(0);
    expect(help.out).toContain('--tcp HOST:PORT');
    const none = await serve([]);
    expect(none.code).toBe(2);
    expect(none.err).toContain('give a source');
    const bad = await serve(['--tcp', 'camera']);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('HOST:PORT');
  });

  it('reads flags as convert and probe do: --fps 30000/1001, --opt=value; positionals and unknown flags are refused', () => {
    const options = parseServeArgs(['--file', demo, '--fps', '30000/1001', '--port=9000']);
    expect(options).toMatchObject({
      source: { kind: 'file', path: demo, fps: 30000 / 1001 },
      port: 9000,
      host: '0.0.0.0',
    });
    expect(() => parseServeArgs(['--file', demo, '--fps', 'thirty'])).toThrow(
      /--fps must be a frame rate from 0\.5 to 1000, such as 30, 29\.97 or 30000\/1001; got "thirty"/,
    );
    // --fps goes with any source (raspivid's stream has no timing); --loop with a file only.
    expect(parseServeArgs(['--stdin', '--fps', '25'])).toMatchObject({
      source: { kind: 'stdin', fps: 25 },
    });
    expect(() => parseServeArgs(['--stdin', '--loop'])).toThrow(/^--loop goes with --file$/);
    expect(() => parseServeArgs([demo])).toThrow(/unexpected argument .* e\.g\. --file /);
    expect(() => parseServeArgs(['--file', demo, '--bogus'])).toThrow(/^unknown option --bogus$/);
    expect(() => parseServeArgs(['--file', '--loop'])).toThrow(/--file needs a value/);
  });

  it('a missing --file: one line naming the file, status 1', async () => {
    const missing = join(base, 'missing.h264');
    const r = await serve(['--file', missing, '--host', '127.0.0.1', '--port', '0']);
    expect(r.code).toBe(1);
    expect(r.err).toBe(`h264mux serve: error: ${missing}: no such file or directory\n`);
  });

  it('serves the app with the right types and refuses path traversal', async () => {
    const r = await serve(
      ['--file', demo, '--loop', '--host', '127.0.0.1', '--port', '0', '--static', app],
      async (port) => {
        const root = await raw(port, '/');
        expect(root.status).toBe(302);
        expect(root.headers.location).toBe(
          `/?src=${encodeURIComponent(`ws://127.0.0.1:${port}/stream`)}`,
        );
        // Behind a reverse proxy that serves the relay under /cam over https: the page and its stream
        // there too; a prefix that is not a plain path (it would redirect elsewhere) is ignored.
        const proxied = await raw(port, '/', 'GET', {
          'X-Forwarded-Prefix': '/cam/',
          'X-Forwarded-Proto': 'https',
        });
        expect(proxied.headers.location).toBe(
          `/cam/?src=${encodeURIComponent(`wss://127.0.0.1:${port}/cam/stream`)}`,
        );
        for (const hostile of [
          '//evil.example',
          '/cam\r\nX: y',
          'https://evil.example/',
          '/a//b',
        ]) {
          const res = await raw(port, '/', 'GET', { 'X-Forwarded-Prefix': hostile }).catch(
            () => undefined,
          );
          if (res) expect(res.headers.location, hostile).toBe(root.headers.location);
        }
        // A visit with settings but no stream keeps them (it was served as an idle page).
        const settings = await raw(port, '/?renderer=mse&latency=0.5');
        expect(settings.status).toBe(302);
        expect(settings.headers.location).toBe(
          `/?src=${encodeURIComponent(`ws://127.0.0.1:${port}/stream`)}&renderer=mse&latency=0.5`,
        );
        const page = await raw(port, '/?src=x');
        expect(page.status).toBe(200);
        expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
        const types: [string, string][] = [
          ['/assets/main-abc.js', 'text/javascript; charset=utf-8'],
          ['/assets/style.css', 'text/css; charset=utf-8'],
          ['/assets/icon.svg', 'image/svg+xml'],
          ['/assets/x.wasm', 'application/wasm'],
        ];
        for (const [path, type] of types) {
          const res = await raw(port, path);
          expect(res.status, path).toBe(200);
          expect(res.headers['content-type'], path).toBe(type);
        }
        for (const path of [
          '/../secret.txt',
          '/%2e%2e/secret.txt',
          '/%2E%2E/secret.txt',
          '/..%2fsecret.txt',
          '/%2e%2e%2fsecret.txt',
          '/assets/..%2f..%2fsecret.txt',
          '/assets/../../secret.txt',
          '/..%5csecret.txt',
          '/%252e%252e/secret.txt',
          '/secret.txt%00.html',
          '/%',
        ]) {
          const res = await raw(port, path);
          expect([400, 403, 404], path).toContain(res.status);
          expect(res.body, path).not.toContain(SECRET);
        }
        expect((await raw(port, '/nope.js')).status).toBe(404);
        expect((await raw(port, '/assets/main-abc.js', 'POST')).status).toBe(405);
        const cfg = await raw(port, '/config.json');
        expect(JSON.parse(cfg.body)).toMatchObject({ defaultSrc: `ws://127.0.0.1:${port}/stream` });
        const pre = await raw(port, '/stream.h264', 'OPTIONS');
        expect(pre.status).toBe(204);
        expect(pre.headers['access-control-allow-origin']).toBe('*');
      },
    );
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/open http:\/\/127\.0\.0\.1:\d+\//);
  });

  it('error answers carry CORS * too: a page on another origin sees "not found", not a CORS error', async () => {
    const cors = (res: { headers: Record<string, unknown> }): unknown =>
      res.headers['access-control-allow-origin'];
    const r = await serve(
      ['--file', demo, '--loop', '--host', '127.0.0.1', '--port', '0', '--static', app],
      async (port) => {
        const answers: [string, string, number][] = [
          ['/stream.h246', 'GET', 404], // a mistyped stream path
          ['/stream', 'GET', 404], // the WebSocket's path, fetched over HTTP
          ['/hls/live.m3u8', 'GET', 404], // without --hls
          ['/stream.h246', 'HEAD', 404],
          ['/%', 'GET', 400],
          ['/../secret.txt', 'GET', 403],
          ['/assets/main-abc.js', 'POST', 405],
          ['/stream.h264', 'POST', 405],
        ];
        for (const [path, method, status] of answers) {
          const res = await raw(port, path, method, { Origin: 'http://app.example:8000' });
          expect(res.status, `${method} ${path}`).toBe(status);
          expect(cors(res), `${method} ${path}`).toBe('*');
        }
      },
    );
    expect(r.code).toBe(0);
    // Without the web app built: its 404 says so, and carries CORS.
    const bare = await serve(
      ['--file', demo, '--host', '127.0.0.1', '--port', '0', '--static', join(base, 'none')],
      async (port) => {
        const res = await raw(port, '/assets/main-abc.js');
        expect(res.status).toBe(404);
        expect(res.body).toContain('The web app is not built');
        expect(cors(res)).toBe('*');
      },
    );
    expect(bare.code).toBe(0);
  });

  it('port in use: says so and names the flag to change it', async () => {
    const blocker = createServer();
    await new Promise<void>((res) => blocker.listen(0, '127.0.0.1', res));
    const address = blocker.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    try {
      const r = await serve(['--file', demo, '--host', '127.0.0.1', '--port', String(port)]);
      expect(r.code).toBe(1);
      expect(r.err).toContain(`port ${port} is already in use`);
      expect(r.err).toContain('--port');
    } finally {
      await new Promise<void>((res) => blocker.close(() => res()));
    }
  });

  it('stdin that is not H.264 (random bytes): exits 1 with the reason', async () => {
    const junk = Buffer.alloc(6 * 1024 * 1024);
    for (let i = 0; i < junk.length; i += 65536)
      crypto.getRandomValues(junk.subarray(i, i + 65536));
    const chunks = Array.from({ length: junk.length / 65536 }, (_, i) =>
      junk.subarray(i * 65536, (i + 1) * 65536),
    );
    const r = await serve(
      ['--stdin', '--host', '127.0.0.1', '--port', '0'],
      undefined,
      Readable.from(chunks),
    );
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/stdin is not a raw H\.264 Annex-B stream/);
  });

  it('a file in another container: exits 1 naming what it looks like', async () => {
    const mp4 = join(base, 'clip.mp4');
    const head = Buffer.from([
      0,
      0,
      0,
      0x18,
      ...Buffer.from('ftypisom'),
      0,
      0,
      2,
      0,
      ...Buffer.from('isomiso2'),
    ]);
    await writeFile(mp4, Buffer.concat([head, Buffer.alloc(100_000, 7)]));
    const r = await serve(['--file', mp4, '--host', '127.0.0.1', '--port', '0']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/is not a raw H\.264 Annex-B stream \(it looks like .*MP4/);
    // One full stop between the reason and the advice.
    expect(r.err).toMatch(/[^.]\. Send raw H\.264/);
  });

  it('--fps: the page a bare visit is sent to times the stream by it', async () => {
    const r = await serve(
      [
        '--file',
        demo,
        '--loop',
        '--fps',
        '25',
        '--host',
        '127.0.0.1',
        '--port',
        '0',
        '--static',
        app,
      ],
      async (port) => {
        const root = await raw(port, '/');
        expect(root.headers.location).toBe(
          `/?src=${encodeURIComponent(`ws://127.0.0.1:${port}/stream`)}&fps=25`,
        );
      },
    );
    expect(r.code).toBe(0);
  });

  it('a camera off the rate its stream is timed by: says what --fps to pass', async () => {
    // p02 has no timing info (30 fps assumed); sent at 25 frames a second, as raspivid -fps 25 would.
    const { readFileSync } = await import('node:fs');
    const { splitAccessUnits } = await import('../e2e/support/stream-server.mjs');
    const aus = splitAccessUnits(
      new Uint8Array(readFileSync(fixturePath('p02_pi_baseline_vga30_notiming.h264'))),
    );
    const stdin = new PassThrough();
    const feed = feedByClock(aus, 25, (data) => stdin.write(data));
    try {
      const r = await serve(
        ['--stdin', '--host', '127.0.0.1', '--port', '0'],
        (_port, logged) =>
          waitFor('the rate advice', () => logged().includes('restart with --fps 25'), 15_000),
        stdin,
      );
      expect(r.code).toBe(0);
    } finally {
      feed.stop();
    }
  });

  it('stdin H.264: relays it, and exits 0 at the end of the stream', async () => {
    const { readFileSync } = await import('node:fs');
    const data = readFileSync(demo);
    const r = await serve(
      ['--stdin', '--host', '127.0.0.1', '--port', '0'],
      undefined,
      Readable.from([data]),
    );
    expect(r.code).toBe(0);
    expect(r.err).toContain('end of stream');
  });
});
