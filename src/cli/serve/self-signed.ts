/**
 * `serve --tls`: a self-signed certificate for this machine, made once with openssl and kept, so that
 * a LAN page is a secure context (browsers give WebCodecs to no other) without a certificate of the
 * user's own. It names the machine as a browser on the LAN reaches it: its host name, that name with
 * `.local` (mDNS), localhost and each IPv4 address. A new address (DHCP) makes a new certificate.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir, hostname, networkInterfaces } from 'node:os';
import { join } from 'node:path';

export interface CertificateFiles {
  readonly cert: string;
  readonly key: string;
}

/** Where the certificate is kept: $XDG_CONFIG_HOME/h264mux, else ~/.config/h264mux. */
export function certificateDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.XDG_CONFIG_HOME || join(homedir(), '.config'), 'h264mux');
}

/** The names a browser on the LAN may use for this machine (subjectAltName entries). */
export function machineNames(): string[] {
  const host = hostname().toLowerCase();
  const names = [`DNS:${host}`];
  if (!host.includes('.')) names.push(`DNS:${host}.local`);
  names.push('DNS:localhost', 'IP:127.0.0.1');
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? [])
      if (a.family === 'IPv4' && !a.internal) names.push(`IP:${a.address}`);
  }
  return [...new Set(names)];
}

/**
 * The certificate and key in `dir` for `names`, made with openssl when missing or made for other
 * names. `made` says whether it was made now. Throws an Error whose message says what to do.
 */
export function selfSignedCertificate(
  dir: string,
  names: readonly string[],
): CertificateFiles & { readonly made: boolean } {
  const files = { cert: join(dir, 'tls-cert.pem'), key: join(dir, 'tls-key.pem') };
  const namesFile = join(dir, 'tls-names.txt');
  const list = names.join(',');
  if (
    existsSync(files.cert) &&
    existsSync(files.key) &&
    existsSync(namesFile) &&
    readFileSync(namesFile, 'utf8').trim() === list
  )
    return { ...files, made: false };
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const cn = (names.find((n) => n.startsWith('DNS:')) ?? 'DNS:localhost').slice(4);
  // 825 days: the longest validity Apple platforms accept for a TLS server certificate.
  const r = spawnSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '825',
      '-subj',
      `/CN=${cn}`,
      '-addext',
      `subjectAltName=${list}`,
      '-keyout',
      files.key,
      '-out',
      files.cert,
    ],
    { encoding: 'utf8' },
  );
  if (r.error || r.status !== 0) {
    const missing = (r.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
    throw new Error(
      missing
        ? '--tls makes its certificate with openssl, which is not installed (sudo apt install openssl); or give your own with --tls-cert and --tls-key'
        : `openssl could not make a certificate in ${dir}: ${(r.stderr || String(r.error)).trim()}`,
    );
  }
  chmodSync(files.key, 0o600);
  writeFileSync(namesFile, `${list}\n`);
  return { ...files, made: true };
}
