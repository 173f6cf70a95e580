// A tiny static file server (node:http) for the built app in dist/, used by the e2e tests and the
// latency bench. Serves `root` under `prefix` (to prove the build works from any path, base './')
// and optional in-memory routes.
import { createServer } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.wasm': 'application/wasm',
};

/**
 * @param {string} root directory to serve
 * @param {{ prefix?: string, port?: number, routes?: Record<string, { type: string, body: string | Uint8Array }>, headScript?: string }} [options]
 */
export async function startStaticServer(root, options = {}) {
  const prefix = options.prefix ?? '/';
  const routes = options.routes ?? {};
  /** Every HTML page gets `headScript` as its first element (the latency bench's probe in WebKit). */
  const html = (body, type) => {
    if (!options.headScript || !type.startsWith('text/html')) return body;
    const text = typeof body === 'string' ? body : Buffer.from(body).toString('utf8');
    const at = /<head[^>]*>/i.exec(text) ?? /<!doctype[^>]*>/i.exec(text);
    const end = at ? at.index + at[0].length : 0;
    return Buffer.from(text.slice(0, end) + options.headScript + text.slice(end));
  };
  const server = createServer((req, res) => {
    void handle(req, res);
  });
  /** @param {import('node:http').IncomingMessage} req @param {import('node:http').ServerResponse} res */
  async function handle(req, res) {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const route = routes[path];
    if (route) {
      res.writeHead(200, { 'content-type': route.type, 'cache-control': 'no-store' });
      res.end(html(route.body, route.type));
      return;
    }
    if (!path.startsWith(prefix)) {
      res.writeHead(404).end('not found');
      return;
    }
    let rel = path.slice(prefix.length);
    if (rel === '' || rel.endsWith('/')) rel += 'index.html';
    const file = normalize(join(root, rel));
    if (file !== root && !file.startsWith(root.endsWith(sep) ? root : root + sep)) {
      res.writeHead(403).end('forbidden');
      return;
    }
    try {
      const info = await stat(file);
      if (!info.isFile()) throw new Error('not a file');
      const type = TYPES[extname(file)] ?? 'application/octet-stream';
      const body = html(await readFile(file), type);
      res.writeHead(200, {
        'content-type': type,
        'content-length': body.byteLength,
        'cache-control': 'no-store',
      });
      res.end(body);
    } catch {
      res.writeHead(404).end('not found');
    }
  }
  await new Promise((resolve) =>
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve(undefined)),
  );
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    port,
    origin: `http://127.0.0.1:${port}`,
    url: `http://127.0.0.1:${port}${prefix}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve(undefined));
      }),
  };
}
