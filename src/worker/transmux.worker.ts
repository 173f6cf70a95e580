/// <reference lib="webworker" />
/**
 * Worker entry: the commands of ./protocol.ts go to a WorkerSession (./worker-session.ts), which
 * answers them in order with a TransmuxService, reads a live source itself after `source-open`, and
 * shows the stream after `render` (./track-renderer.ts). A worker started by the built page's first
 * script finds its early session in its URL's fragment (protocol.ts EarlyStart) and opens that source
 * before any message can arrive.
 */
import { parseEarlyStart } from './protocol.js';
import type { WorkerCommand } from './protocol.js';
import { TrackRenderer } from './track-renderer.js';
import { WorkerSession } from './worker-session.js';

const scope = self as unknown as DedicatedWorkerGlobalScope;
const session = new WorkerSession({
  post: (message, transfer) => scope.postMessage(message, transfer),
  renderer: (command) => new TrackRenderer(command),
});
scope.onmessage = (event: MessageEvent<WorkerCommand>) => session.command(event.data);
const early = parseEarlyStart(scope.location.hash);
if (early) session.startEarly(early);
