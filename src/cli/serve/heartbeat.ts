/**
 * WebSocket viewers that answer no ping are dropped. A viewer whose network went away (a phone off
 * the Wi-Fi, a NAT that forgot the connection) or that stopped reading leaves its connection open;
 * while the camera streams the relay's queue bound drops it, but while the camera is down the relay
 * sends only a small notice every 2 s, and such a viewer held its descriptor and queue until the
 * camera came back (or TCP gave up: about 15 minutes). Browsers answer pings themselves (RFC 6455
 * §5.5.2), whatever the page does.
 */
import type { WebSocket } from 'ws';

/** A ping every this many ms... */
export const PING_EVERY_MS = 15_000;
/**
 * ...and a viewer silent for this long is dropped: three pings unanswered. A ping waits behind the
 * stream's bytes queued to the viewer; a viewer that far behind is the lag rule's (./relay.ts).
 */
export const PONG_WITHIN_PINGS = 3;

/** Pings watched WebSockets every `everyMs`; one that stopped answering is told to `dead`, then ended. */
export class Heartbeat {
  private readonly answered = new Map<WebSocket, number>();
  private readonly timer: ReturnType<typeof setInterval>;

  constructor(
    private readonly dead: (ws: WebSocket, silentMs: number) => void,
    private readonly everyMs: number = PING_EVERY_MS,
  ) {
    this.timer = setInterval(() => this.tick(), everyMs);
    this.timer.unref();
  }

  watch(ws: WebSocket): void {
    this.answered.set(ws, performance.now());
    ws.on('pong', () => this.answered.set(ws, performance.now()));
    ws.on('close', () => this.answered.delete(ws));
  }

  stop(): void {
    clearInterval(this.timer);
    this.answered.clear();
  }

  private tick(): void {
    const now = performance.now();
    for (const [ws, at] of this.answered) {
      if (now - at > this.everyMs * PONG_WITHIN_PINGS) {
        this.answered.delete(ws);
        this.dead(ws, now - at);
        ws.terminate();
      } else if (ws.readyState === ws.OPEN) ws.ping();
    }
  }
}
