// A self-signed certificate for the relay's https tests: openssl, into a temporary directory.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestCertificate {
  readonly cert: string;
  readonly key: string;
  /** The certificate's PEM text (a client's `ca`). */
  readonly pem: string;
}

/** A certificate for `names` (DNS names and IP addresses), valid for a day. */
export function selfSigned(names: readonly string[] = ['localhost', '127.0.0.1']): TestCertificate {
  const dir = mkdtempSync(join(tmpdir(), 'h264mux-tls-'));
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  const san = names.map((n) => (/^[\d.]+$/.test(n) ? `IP:${n}` : `DNS:${n}`)).join(',');
  const r = spawnSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      `/CN=${names[0]}`,
    ].concat(['-addext', `subjectAltName=${san}`, '-keyout', key, '-out', cert]),
    { encoding: 'utf8' },
  );
  if (r.status !== 0) throw new Error(`openssl req failed: ${r.stderr || String(r.error)}`);
  return { cert, key, pem: readFileSync(cert, 'utf8') };
}
