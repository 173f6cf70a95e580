// A self-signed certificate for the relay's https tests: made as `serve --tls` makes its own
// (src/cli/serve/self-signed.ts), into a temporary directory.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { selfSignedCertificate } from '../../src/cli/serve/self-signed.js';

export interface TestCertificate {
  readonly cert: string;
  readonly key: string;
  /** The certificate's PEM text (a client's `ca`). */
  readonly pem: string;
}

/** A certificate for `names` (DNS names and IP addresses). */
export function selfSigned(names: readonly string[] = ['localhost', '127.0.0.1']): TestCertificate {
  const dir = mkdtempSync(join(tmpdir(), 'h264mux-tls-'));
  const san = names.map((n) => (/^[\d.]+$/.test(n) ? `IP:${n}` : `DNS:${n}`));
  const { cert, key } = selfSignedCertificate(dir, san);
  return { cert, key, pem: readFileSync(cert, 'utf8') };
}
