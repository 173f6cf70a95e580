/**
 * One port for https and for plain http typed out of habit (`http://raspberrypi.local:8080`): each
 * connection's first byte tells a TLS handshake from anything else, and plain HTTP is sent to the
 * same address over https, where before the TLS server dropped it and the browser showed an empty
 * reply. A plain WebSocket handshake is told to use wss://.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer as createHttpServer } from 'node:http';
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';

/** A TLS record begins with its content type; a client's first is a handshake (RFC 8446 §5.1). */
const TLS_HANDSHAKE = 0x16;

/** The request timeouts of an http(s) server: a whole request within `ms`, checked every second. */
export function requestTimeouts(ms: number): {
  headersTimeout: number;
  requestTimeout: number;
  connectionsCheckingInterval: number;
} {
  return {
    headersTimeout: ms,
    requestTimeout: ms,
    connectionsCheckingInterval: Math.min(1000, ms),
  };
}

/**
 * The listening server: hands TLS connections to `secure` and the rest to a server that redirects
 * them. Both get 'listening' when it listens, which starts their request timeouts. `requestTimeoutMs`
 * bounds the wait for the first byte as well.
 */
export function tlsFront(secure: Server, requestTimeoutMs: number): NetServer {
  const plain = createHttpServer(requestTimeouts(requestTimeoutMs), toHttps);
  plain.on('upgrade', (_req: IncomingMessage, socket: Socket) => {
    socket.end(
      'HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Type: text/plain\r\n\r\n' +
        'this relay serves its stream over TLS: open wss:// instead of ws://\n',
    );
  });
  const front = createNetServer({ pauseOnConnect: true, noDelay: true }, (socket) => {
    const drop = (): void => void socket.destroy();
    socket.setTimeout(requestTimeoutMs, drop);
    socket.on('error', drop);
    socket.once('readable', () => {
      const first = socket.read(1) as Buffer | null;
      if (!first) {
        drop();
        return;
      }
      // The server it goes to sets its own timeouts and error handling.
      socket.setTimeout(0);
      socket.off('timeout', drop);
      socket.off('error', drop);
      socket.unshift(first);
      (first[0] === TLS_HANDSHAKE ? secure : plain).emit('connection', socket);
    });
  });
  front.on('listening', () => {
    secure.emit('listening');
    plain.emit('listening');
  });
  front.on('close', () => {
    plain.close();
    secure.close();
  });
  return front;
}

/** The same request over https: 308 keeps its method; without a Host there is nowhere to send it. */
function toHttps(req: IncomingMessage, res: ServerResponse): void {
  const host = req.headers.host;
  if (!host || /[\s/\\@]/.test(host)) {
    res.writeHead(400, { 'Content-Type': 'text/plain; charset=utf-8' });
    res.end('this relay serves https: open https:// instead of http://\n');
    return;
  }
  const target = `https://${host}${req.url?.startsWith('/') ? req.url : '/'}`;
  res.writeHead(308, {
    Location: target,
    'Content-Type': 'text/plain; charset=utf-8',
    'Cache-Control': 'no-cache',
  });
  res.end(`this relay serves https: ${target}\n`);
}
