// A live ByteSource driven by the test: it keeps the sink it was started with (the test calls
// connected/data/end on it) and records whether it was stopped.
import type { ByteSource, SourceSink } from '../../src/sources/source.js';

export class ScriptedSource implements ByteSource {
  readonly kind = 'websocket';
  reconnects = 0;
  sink: SourceSink | undefined;
  stopped = false;

  constructor(readonly label = 'ws://camera/stream') {}

  start(sink: SourceSink): void {
    this.sink = sink;
  }

  stop(): void {
    this.stopped = true;
  }
}
