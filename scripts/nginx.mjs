// Starts Debian's nginx (/usr/sbin/nginx, or `nginx` on PATH) unprivileged on 127.0.0.1 with the documented
// docs/nginx-hls.conf in front of a relay: a temp prefix (-p) holds the config, cache, logs and pid, so
// nothing under /etc, /var or /run is touched. For the tests and `npm run bench:hls`.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const NGINX_CONF = fileURLToPath(new URL('../docs/nginx-hls.conf', import.meta.url));

/** @returns {string | undefined} */
export function findNginx() {
  if (existsSync('/usr/sbin/nginx')) return '/usr/sbin/nginx';
  const r = spawnSync('nginx', ['-v'], { stdio: 'ignore' });
  return r.error === undefined && r.status === 0 ? 'nginx' : undefined;
}

/** @returns {Promise<number>} */
async function freePort() {
  const s = createServer();
  await new Promise((resolve) => s.listen(0, '127.0.0.1', () => resolve(undefined)));
  const address = s.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  await new Promise((resolve) => s.close(() => resolve(undefined)));
  return port;
}

/**
 * The documented configuration with the relay's port, a listen address on loopback and the cache in `dir`,
 * wrapped in what a standalone nginx needs (events, pid, logs and temp paths in `dir`).
 * @param {{ relayPort: number, port: number, dir: string, workers?: number }} o
 */
export async function nginxConfig(o) {
  const site = (await readFile(NGINX_CONF, 'utf8'))
    .replace('server 127.0.0.1:8080;', `server 127.0.0.1:${o.relayPort};`)
    .replace('listen 80;', `listen 127.0.0.1:${o.port};`)
    .replace('/var/cache/nginx/h264mux', join(o.dir, 'cache'));
  for (const [from, what] of [
    [`server 127.0.0.1:${o.relayPort};`, 'upstream'],
    [`listen 127.0.0.1:${o.port};`, 'listen'],
    [join(o.dir, 'cache'), 'cache path'],
  ]) {
    if (!site.includes(from)) throw new Error(`docs/nginx-hls.conf: ${what} line not found`);
  }
  // Started as root (CI), nginx would run its workers as nobody, who cannot write the temp cache: keep them
  // as the user who started it.
  const user = process.getuid?.() === 0 ? 'user root root;\n' : '';
  return `${user}worker_processes ${o.workers ?? 1};
pid ${join(o.dir, 'nginx.pid')};
error_log ${join(o.dir, 'error.log')} warn;
events { worker_connections 4096; }
http {
    access_log ${join(o.dir, 'access.log')};
    client_body_temp_path ${join(o.dir, 'client_body')};
    proxy_temp_path ${join(o.dir, 'proxy')};
    fastcgi_temp_path ${join(o.dir, 'fastcgi')};
    uwsgi_temp_path ${join(o.dir, 'uwsgi')};
    scgi_temp_path ${join(o.dir, 'scgi')};
${site}
}
`;
}

/**
 * @param {{ relayPort: number, workers?: number }} o
 * @returns {Promise<{ port: number, base: string, pid: number, dir: string, stop(): Promise<void> }>}
 */
export async function startNginx(o) {
  const bin = findNginx();
  if (!bin)
    throw new Error(
      'nginx is not installed: apt-get install -y nginx (or run node scripts/ensure-tools.mjs)',
    );
  const dir = await mkdtemp(join(tmpdir(), 'h264mux-nginx-'));
  const port = await freePort();
  await writeFile(join(dir, 'nginx.conf'), await nginxConfig({ ...o, port, dir }));
  const child = spawn(bin, ['-p', dir, '-c', join(dir, 'nginx.conf'), '-g', 'daemon off;'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += String(d)));
  const exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  for (let i = 0; ; i++) {
    const up = await new Promise((resolve) => {
      const s = connect(port, '127.0.0.1', () => {
        s.destroy();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (up) break;
    if (child.exitCode !== null || i > 200) {
      child.kill('SIGKILL');
      const log = await readFile(join(dir, 'error.log'), 'utf8').catch(() => '');
      await rm(dir, { recursive: true, force: true });
      throw new Error(`nginx did not start: ${stderr}${log}`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  return {
    port,
    base: `http://127.0.0.1:${port}`,
    pid: /** @type {number} */ (child.pid),
    dir,
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGQUIT');
        const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
        await exited;
        clearTimeout(timer);
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
