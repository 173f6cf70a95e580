// `h264mux serve --tls-cert --tls-key`: https and wss, so that a page opened from another machine is a
// secure context (browsers give WebCodecs to no other). A self-signed certificate, trusted by the
// clients here as a browser does once its user accepts it.
import { get } from 'node:https';
import { connect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { openUrls, runServe } from '../../src/cli/serve/index.js';
import { parseServeArgs } from '../../src/cli/serve/options.js';
import { selfSignedCertificate } from '../../src/cli/serve/self-signed.js';
import { selfSigned, type TestCertificate } from '../helpers/tls.js';
import { firstNalTypes, fixturePath, startRelay, waitFor, type TestRelay } from './helpers.js';

const P01 = fixturePath('p01_pi_baseline_vga30_inline.h264');
let certificate: TestCertificate;
let relay: TestRelay;

beforeAll(async () => {
  certificate = selfSigned();
  relay = await startRelay(
    { kind: 'file', path: P01, loop: true },
    { tls: { cert: certificate.cert, key: certificate.key } },
  );
});
afterAll(async () => relay?.close());

function httpsGet(
  path: string,
): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = get({ host: '127.0.0.1', port: relay.port, path, ca: certificate.pem }, (res) => {
      let body = '';
      res.on('data', (b: Buffer) => (body += b.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
  });
}

describe('serve over https', () => {
  it('answers https, and sends a bare visit to the wss:// stream', async () => {
    const status = await httpsGet('/status');
    expect(status.status).toBe(200);
    expect(JSON.parse(status.body)).toHaveProperty('viewers');
    const visit = await httpsGet('/');
    expect(visit.status).toBe(302);
    expect(decodeURIComponent(String(visit.headers['location']))).toMatch(
      new RegExp(`^/\\?src=wss://127\\.0\\.0\\.1:${relay.port}/stream$`),
    );
  });

  it('streams over wss: the framing announcement, then access units from a keyframe', async () => {
    const ws = new WebSocket(`wss://127.0.0.1:${relay.port}/stream`, { ca: certificate.pem });
    const texts: string[] = [];
    const units: Buffer[] = [];
    ws.on('message', (d: Buffer, binary) => (binary ? units.push(d) : texts.push(d.toString())));
    await waitFor('10 access units over wss', () => units.length >= 10);
    ws.terminate();
    expect(texts[0]).toBe('{"framing":"access-unit"}');
    // The first unit carries the SPS and PPS for a decoder to start.
    expect(firstNalTypes(units[0]!, 4)).toEqual(expect.arrayContaining([7, 8, 5]));
  });

  it('plain http on the https port is sent to https (it got an empty reply), ws:// is told to use wss://', async () => {
    const plain = await fetch(`http://127.0.0.1:${relay.port}/?src=x`, { redirect: 'manual' });
    expect(plain.status).toBe(308);
    expect(plain.headers.get('location')).toBe(`https://127.0.0.1:${relay.port}/?src=x`);
    await plain.body?.cancel();
    const ws = new WebSocket(`ws://127.0.0.1:${relay.port}/stream`);
    const refused = await new Promise<{ status: number; body: string }>((resolve) => {
      ws.on('unexpected-response', (_req, res) => {
        let body = '';
        res.on('data', (b: Buffer) => (body += b.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      ws.on('error', () => resolve({ status: 0, body: '' }));
    });
    expect(refused.status).toBe(400);
    expect(refused.body).toMatch(/wss:\/\//);
    // A connection that sends nothing is closed by the request timeout, as any other (not tested
    // here: 10 s); https goes on.
    expect((await httpsGet('/status')).status).toBe(200);
  });

  it('the request timeout holds on the https port: a silent socket, and headers dribbled over TLS', async () => {
    const quick = await startRelay(
      { kind: 'file', path: P01, loop: true },
      { tls: { cert: certificate.cert, key: certificate.key } },
      { requestTimeoutMs: 600 },
    );
    try {
      const closedAfter = (socket: Socket): Promise<number> => {
        const t0 = performance.now();
        return new Promise((resolve) => {
          socket.on('error', () => undefined);
          socket.on('close', () => resolve(performance.now() - t0));
        });
      };
      const silent = connect(quick.port, '127.0.0.1');
      const secure = tlsConnect({ host: '127.0.0.1', port: quick.port, ca: certificate.pem }, () =>
        secure.write('GET /status HTTP/1.1\r\nHost: x\r\n'),
      );
      const drip = setInterval(() => secure.writable && secure.write('X'), 100);
      const [a, b] = await Promise.all([closedAfter(silent), closedAfter(secure)]);
      clearInterval(drip);
      // Closed, not held for Node's 60 s (or, before its first byte, for ever).
      expect(a).toBeLessThan(30_000);
      expect(b).toBeLessThan(30_000);
    } finally {
      await quick.close();
    }
  });

  it('prints https:// addresses to open', () => {
    expect(openUrls('127.0.0.1', 8443, 'https')).toEqual(['https://127.0.0.1:8443/']);
  });
});

describe('serve --tls-cert / --tls-key: what a user gets wrong', () => {
  it('one without the other is a usage error', () => {
    expect(() => parseServeArgs(['--file', P01, '--tls-cert', 'cert.pem'])).toThrow(
      '--tls-cert and --tls-key go together',
    );
    expect(
      parseServeArgs(['--file', P01, '--tls-cert', 'c.pem', '--tls-key', 'k.pem']),
    ).toMatchObject({
      tls: { cert: 'c.pem', key: 'k.pem' },
    });
  });

  async function serveError(cert: string, key: string): Promise<{ code: number; err: string }> {
    const stderr = new PassThrough();
    let err = '';
    stderr.on('data', (b: Buffer) => (err += b.toString()));
    const code = await runServe(
      ['--file', P01, '--port', '0', '--host', '127.0.0.1', '--tls-cert', cert, '--tls-key', key],
      { stdout: new PassThrough(), stderr },
    );
    return { code, err };
  }

  it('a missing file: which one, and why, exit 1', async () => {
    const r = await serveError('/nonexistent/cert.pem', certificate.key);
    expect(r.code).toBe(1);
    expect(r.err).toContain('cannot read the certificate, --tls-cert (/nonexistent/cert.pem)');
  });

  it('a key that is not the certificate’s, or a file that is no PEM: said, exit 1', async () => {
    const other = selfSigned();
    const mismatched = await serveError(certificate.cert, other.key);
    expect(mismatched.code).toBe(1);
    expect(mismatched.err).toContain('the certificate and key do not make a TLS server');
    const junk = `${certificate.key}.junk`;
    writeFileSync(junk, 'not a key');
    const notPem = await serveError(certificate.cert, junk);
    expect(notPem.code).toBe(1);
    expect(notPem.err).toContain('give PEM files');
  });

  it('startServe refuses before it listens or starts its source', async () => {
    await expect(
      startRelay(
        { kind: 'file', path: P01, loop: true },
        { tls: { cert: '/nonexistent/cert.pem', key: certificate.key } },
      ),
    ).rejects.toThrow('cannot read the certificate');
  });
});

describe('serve --tls: a self-signed certificate for this machine, made once', () => {
  it('parses; with --tls-cert it is a usage error', () => {
    expect(parseServeArgs(['--file', P01, '--tls'])).toMatchObject({ tls: 'self-signed' });
    expect(() =>
      parseServeArgs(['--file', P01, '--tls', '--tls-cert', 'c.pem', '--tls-key', 'k.pem']),
    ).toThrow('use one or the other');
  });

  it('makes it for the machine’s names and addresses, serves https with it, and keeps it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'h264mux-config-'));
    const start = (): Promise<TestRelay> =>
      startRelay(
        { kind: 'file', path: P01, loop: true },
        { tls: 'self-signed' },
        { certificateDir: dir },
      );
    const first = await start();
    let pem: string;
    try {
      expect(first.logs.join('\n')).toMatch(/made a self-signed certificate for .*127\.0\.0\.1/);
      pem = readFileSync(join(dir, 'tls-cert.pem'), 'utf8');
      const san = new X509Certificate(pem).subjectAltName ?? '';
      expect(san).toContain('DNS:localhost');
      expect(san).toContain('IP Address:127.0.0.1');
      expect(statSync(join(dir, 'tls-key.pem')).mode & 0o777).toBe(0o600);
      // A browser that accepted it: https with that certificate as its trust.
      const status = await new Promise<number>((resolve, reject) => {
        get({ host: '127.0.0.1', port: first.port, path: '/status', ca: pem }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        }).on('error', reject);
      });
      expect(status).toBe(200);
    } finally {
      await first.close();
    }
    const second = await start();
    try {
      expect(second.logs.join('\n')).toMatch(/using a self-signed certificate/);
      expect(readFileSync(join(dir, 'tls-cert.pem'), 'utf8')).toBe(pem);
    } finally {
      await second.close();
    }
  });

  it('is made again for new names (an address the machine did not have: DHCP)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'h264mux-config-'));
    const a = ['DNS:cam', 'IP:192.168.1.42'];
    expect(selfSignedCertificate(dir, a).made).toBe(true);
    expect(selfSignedCertificate(dir, a).made).toBe(false);
    const b = ['DNS:cam', 'IP:192.168.1.77'];
    expect(selfSignedCertificate(dir, b).made).toBe(true);
    const san = new X509Certificate(readFileSync(join(dir, 'tls-cert.pem'))).subjectAltName;
    expect(san).toBe('DNS:cam, IP Address:192.168.1.77');
  });
});
