// A scripted WebCodecs VideoDecoder for unit tests: it decodes nothing; each chunk waits until the test
// releases it as a frame, or fails the decoder as a browser does on a bad chunk. `installFakeWebCodecs`
// puts it (and EncodedVideoChunk) on globalThis for a test, as the renderer looks them up there.
import { afterEach, beforeEach } from 'vitest';

export class FakeFrame {
  closed = false;
  readonly displayWidth = 640;
  readonly displayHeight = 480;
  constructor(readonly timestamp: number) {}
  clone(): FakeFrame {
    return new FakeFrame(this.timestamp);
  }
  close(): void {
    this.closed = true;
  }
}

/** Decodes nothing: each chunk waits until `release()` outputs it as a frame. */
export class ScriptedDecoder {
  static last: ScriptedDecoder | undefined;
  state = 'unconfigured';
  readonly waiting: number[] = [];
  /** Every chunk given, in order: its type and timestamp. */
  readonly chunks: { type: string; timestamp: number; data: Uint8Array }[] = [];
  constructor(
    private readonly init: {
      output: (frame: FakeFrame) => void;
      error: (error: DOMException) => void;
    },
  ) {
    ScriptedDecoder.last = this;
  }
  get decodeQueueSize(): number {
    return this.waiting.length;
  }
  configure(): void {
    this.state = 'configured';
  }
  reset(): void {
    this.waiting.length = 0;
  }
  close(): void {
    this.state = 'closed';
  }
  decode(chunk: FakeChunk): void {
    this.waiting.push(chunk.timestamp);
    this.chunks.push({ type: chunk.type, timestamp: chunk.timestamp, data: chunk.data });
  }
  /**
   * Fails as a decoder does on a bad chunk (EncodingError), or after configure() found the codec
   * unsupported (NotSupportedError, Firefox 153's message): closed, then the error callback (WebCodecs
   * §4.5).
   */
  fail(name: 'EncodingError' | 'NotSupportedError' = 'EncodingError'): void {
    this.state = 'closed';
    this.waiting.length = 0;
    const message = name === 'EncodingError' ? 'Decoding error.' : 'Operation is not supported';
    this.init.error(new DOMException(message, name));
  }
  /** Outputs the oldest waiting chunk now. */
  release(): void {
    const timestamp = this.waiting.shift();
    if (timestamp !== undefined) this.init.output(new FakeFrame(timestamp));
  }
}

export class FakeChunk {
  readonly type: string;
  readonly timestamp: number;
  readonly data: Uint8Array;
  constructor(init: { type: string; timestamp: number; data: BufferSource }) {
    this.type = init.type;
    this.timestamp = init.timestamp;
    this.data =
      init.data instanceof Uint8Array
        ? init.data
        : ArrayBuffer.isView(init.data)
          ? new Uint8Array(init.data.buffer, init.data.byteOffset, init.data.byteLength)
          : new Uint8Array(init.data);
  }
}

/** For each test of the calling file: the scripted decoder as `VideoDecoder`, and `EncodedVideoChunk`. */
export function installFakeWebCodecs(): void {
  const globals = globalThis as Record<string, unknown>;
  beforeEach(() => {
    globals['VideoDecoder'] = ScriptedDecoder;
    globals['EncodedVideoChunk'] = FakeChunk;
  });
  afterEach(() => {
    delete globals['VideoDecoder'];
    delete globals['EncodedVideoChunk'];
  });
}
