import { createReadStream } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, resolve, sep } from 'node:path';

/** Content types of the built app's files. */
const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.ico': 'image/x-icon',
  '.webmanifest': 'application/manifest+json',
  '.txt': 'text/plain; charset=utf-8',
  '.woff2': 'font/woff2',
  '.h264': 'video/h264',
  '.264': 'video/h264',
  '.mp4': 'video/mp4',
};

export function contentType(path: string): string {
  return CONTENT_TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream';
}

/**
 * Headers of every error answer: CORS `*` as the relay's stream endpoints, so that a page on another
 * origin that asks for a wrong path sees the status ("not found") instead of a CORS error.
 */
export const ERROR_HEADERS = {
  'Content-Type': 'text/plain; charset=utf-8',
  'Access-Control-Allow-Origin': '*',
} as const;

/**
 * Serves files under `root` only. The request path is percent-decoded once and any `..` segment,
 * backslash or NUL is refused (403) before the path is joined; the real path (symlinks resolved) must
 * still lie inside the real root. Vite's hashed assets are immutable; everything else is revalidated.
 */
export class StaticFiles {
  private realRoot: string | undefined;

  constructor(readonly root: string) {}

  async handle(req: IncomingMessage, res: ServerResponse, pathname: string): Promise<void> {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { ...ERROR_HEADERS, Allow: 'GET, HEAD' }).end('use GET or HEAD\n');
      return;
    }
    let decoded: string;
    try {
      decoded = decodeURIComponent(pathname);
    } catch {
      res.writeHead(400, ERROR_HEADERS).end('bad path encoding\n');
      return;
    }
    const segments = decoded.split('/');
    if (decoded.includes('\\') || decoded.includes('\0') || segments.some((s) => s === '..')) {
      res.writeHead(403, ERROR_HEADERS).end('forbidden\n');
      return;
    }
    this.realRoot ??= await realpath(this.root).catch(() => resolve(this.root));
    let file = resolve(this.realRoot, '.' + decoded);
    if (!inside(this.realRoot, file)) {
      res.writeHead(403, ERROR_HEADERS).end('forbidden\n');
      return;
    }
    try {
      let info = await stat(file);
      if (info.isDirectory()) {
        file = resolve(file, 'index.html');
        info = await stat(file);
      }
      const real = await realpath(file);
      if (!inside(this.realRoot, real) || !info.isFile()) throw new Error('outside');
      const hashed = decoded.startsWith('/assets/');
      res.writeHead(200, {
        'Content-Type': contentType(file),
        'Content-Length': info.size,
        'Cache-Control': hashed ? 'public, max-age=31536000, immutable' : 'no-cache',
        'X-Content-Type-Options': 'nosniff',
      });
      if (req.method === 'HEAD') {
        res.end();
        return;
      }
      createReadStream(real)
        .on('error', () => res.destroy())
        .pipe(res);
    } catch {
      res.writeHead(404, ERROR_HEADERS).end('not found\n');
    }
  }
}

function inside(root: string, path: string): boolean {
  return path === root || path.startsWith(root.endsWith(sep) ? root : root + sep);
}
