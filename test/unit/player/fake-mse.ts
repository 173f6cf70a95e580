// Scripted stand-ins for the browser's MediaSource, SourceBuffer and <video>, so that the player's
// units run in Node. They follow the parts of W3C MSE the player relies on: one operation at a time
// (`updating`), `updateend` in a later task, QuotaExceededError thrown synchronously by appendBuffer
// when the buffer is full (§3.5.10 coded frame eviction failed), removal up to the next random access
// point (§3.5.9), an ended MediaSource re-opened by an append or a removal (§3.5.5, §3.2 remove), a
// duration that cannot go below the buffered frames (§2.4.6). Frames are read from the real fMP4
// bytes (tfdt + trun), so `buffered` is what a browser would report for them.
//
// Timers go through the global setTimeout: tests drive them with a FakeClock or vi's fake timers.

export interface FakeFrame {
  /** Presentation time on the buffer's timeline (timestampOffset applied), seconds. */
  readonly pts: number;
  readonly duration: number;
  readonly keyframe: boolean;
  readonly bytes: number;
}

export class FakeTimeRanges implements TimeRanges {
  constructor(private readonly ranges: readonly (readonly [number, number])[]) {}
  get length(): number {
    return this.ranges.length;
  }
  start(index: number): number {
    const r = this.ranges[index];
    if (!r) throw new DOMException('index out of range', 'IndexSizeError');
    return r[0];
  }
  end(index: number): number {
    const r = this.ranges[index];
    if (!r) throw new DOMException('index out of range', 'IndexSizeError');
    return r[1];
  }
  toArray(): [number, number][] {
    return this.ranges.map(([s, e]) => [s, e]);
  }
}

const EMPTY = new FakeTimeRanges([]);

/** Frames closer than this are one range (Chromium and WebKit bridge small gaps too). */
const RANGE_TOLERANCE = 1e-3;

function invalidState(message: string): DOMException {
  return new DOMException(message, 'InvalidStateError');
}

export class FakeSourceBuffer extends EventTarget {
  mode: AppendMode = 'segments';
  updating = false;
  /** Every call, in order, e.g. `append 1234`, `remove 0-2`, `changeType video/mp4; ...`. */
  readonly log: string[] = [];
  frames: FakeFrame[] = [];
  /** Bytes the buffer holds at most; an append beyond throws QuotaExceededError. */
  quota = Infinity;
  /** When false, operations complete only through `complete()`. */
  autoComplete = true;
  /** The next append fails to parse: `error`, then `updateend`, nothing buffered (MSE append error). */
  rejectNext = false;
  appendCalls = 0;
  private offset = 0;
  private timescale = 90_000;
  private pending: (() => void) | undefined;

  constructor(
    private readonly parent: FakeMediaSource,
    public mimeType: string,
  ) {
    super();
  }

  get parentSource(): FakeMediaSource {
    return this.parent;
  }

  get timestampOffset(): number {
    return this.offset;
  }

  set timestampOffset(value: number) {
    if (this.updating) throw invalidState('timestampOffset set while updating');
    this.log.push(`timestampOffset ${value}`);
    this.offset = value;
  }

  get buffered(): FakeTimeRanges {
    return rangesOf(this.frames);
  }

  get storedBytes(): number {
    return this.frames.reduce((sum, f) => sum + f.bytes, 0);
  }

  appendBuffer(data: BufferSource | Uint8Array): void {
    this.appendCalls++;
    if (this.updating) throw invalidState('appendBuffer while updating');
    if (this.parent.readyState === 'closed') throw invalidState('appendBuffer on a closed source');
    const bytes = toBytes(data);
    if (this.storedBytes + bytes.byteLength > this.quota) {
      throw new DOMException('The SourceBuffer is full.', 'QuotaExceededError');
    }
    this.parent.reopenIfEnded();
    this.log.push(`append ${bytes.byteLength}`);
    if (this.rejectNext) {
      this.rejectNext = false;
      this.start(() => this.dispatchEvent(new Event('error')));
      return;
    }
    this.start(() => {
      const parsed = parseFmp4(bytes, this.timescale);
      this.timescale = parsed.timescale;
      for (const f of parsed.frames) {
        this.insert({ ...f, pts: f.pts + this.offset });
      }
      // §3.5.8 step 5: frames beyond the duration extend it.
      this.parent.extendDuration();
    });
  }

  remove(start: number, end: number): void {
    if (this.updating) throw invalidState('remove while updating');
    if (this.parent.readyState === 'closed') throw invalidState('remove on a closed source');
    this.parent.reopenIfEnded();
    this.log.push(`remove ${round(start)}-${end === Infinity ? 'Infinity' : round(end)}`);
    this.start(() => {
      // §3.5.9: frames in [start, end), then their dependants up to the next random access point.
      const sorted = [...this.frames].sort((a, b) => a.pts - b.pts);
      const nextKey = sorted.find((f) => f.pts >= end && f.keyframe)?.pts ?? Infinity;
      this.frames = sorted.filter((f) => f.pts < start || f.pts >= nextKey);
    });
  }

  changeType(type: string): void {
    if (this.updating) throw invalidState('changeType while updating');
    this.log.push(`changeType ${type}`);
    this.mimeType = type;
  }

  abort(): void {
    this.log.push('abort');
  }

  /** Finishes the operation in progress (when `autoComplete` is false). */
  complete(): void {
    const done = this.pending;
    this.pending = undefined;
    done?.();
  }

  private start(apply: () => void): void {
    this.updating = true;
    this.dispatchEvent(new Event('updatestart'));
    this.pending = () => {
      apply();
      this.updating = false;
      this.dispatchEvent(new Event('update'));
      this.dispatchEvent(new Event('updateend'));
    };
    if (this.autoComplete) setTimeout(() => this.complete(), 0);
  }

  private insert(frame: FakeFrame): void {
    // A frame at the same time replaces the old one (§3.5.8 step 1.14).
    this.frames = this.frames.filter((f) => Math.abs(f.pts - frame.pts) > 1e-6);
    this.frames.push(frame);
  }
}

export class FakeMediaSource extends EventTarget {
  static isTypeSupported(type: string): boolean {
    return type.startsWith('video/mp4');
  }
  /** Every instance, newest last. */
  static readonly instances: FakeMediaSource[] = [];

  readyState: ReadyState = 'closed';
  readonly sourceBuffers: FakeSourceBuffer[] = [];
  readonly log: string[] = [];
  private durationValue = NaN;

  constructor() {
    super();
    FakeMediaSource.instances.push(this);
  }

  get duration(): number {
    return this.durationValue;
  }

  set duration(value: number) {
    if (this.readyState !== 'open') throw invalidState(`duration set while ${this.readyState}`);
    if (this.sourceBuffers.some((sb) => sb.updating))
      throw invalidState('duration set while updating');
    if (value < this.highestEnd() - 1e-9) throw invalidState('duration below the buffered frames');
    this.log.push(`duration ${value}`);
    this.durationValue = value;
  }

  addSourceBuffer(type: string): FakeSourceBuffer {
    if (this.readyState !== 'open') throw invalidState('addSourceBuffer while not open');
    const sb = new FakeSourceBuffer(this, type);
    this.sourceBuffers.push(sb);
    this.log.push(`addSourceBuffer ${type}`);
    return sb;
  }

  endOfStream(): void {
    if (this.readyState !== 'open') throw invalidState(`endOfStream while ${this.readyState}`);
    if (this.sourceBuffers.some((sb) => sb.updating))
      throw invalidState('endOfStream while updating');
    this.readyState = 'ended';
    this.durationValue = this.highestEnd();
    this.log.push('endOfStream');
    this.dispatchEvent(new Event('sourceended'));
  }

  /** The media element attached this source. */
  open(): void {
    this.readyState = 'open';
    this.dispatchEvent(new Event('sourceopen'));
  }

  close(): void {
    this.readyState = 'closed';
  }

  extendDuration(): void {
    const end = this.highestEnd();
    if (!(this.durationValue >= end)) this.durationValue = end;
  }

  reopenIfEnded(): void {
    if (this.readyState !== 'ended') return;
    this.readyState = 'open';
    this.log.push('reopened');
    setTimeout(() => this.dispatchEvent(new Event('sourceopen')), 0);
  }

  highestEnd(): number {
    let end = 0;
    for (const sb of this.sourceBuffers) {
      const r = sb.buffered;
      if (r.length > 0) end = Math.max(end, r.end(r.length - 1));
    }
    return end;
  }
}

const HAVE_NOTHING = 0;
const HAVE_METADATA = 1;
const HAVE_CURRENT_DATA = 2;
const HAVE_FUTURE_DATA = 3;

/** A <video>: the test moves the playhead with `playTo` (playback) or the player with `currentTime` (a seek). */
export class FakeVideo extends EventTarget {
  static readonly HAVE_METADATA = HAVE_METADATA;
  muted = false;
  playsInline = false;
  disableRemotePlayback = false;
  defaultPlaybackRate = 1;
  paused = true;
  seeking = false;
  ended = false;
  error: MediaError | null = null;
  totalVideoFrames = 0;
  droppedVideoFrames = 0;
  /** Seeks made through `currentTime`, in order. */
  readonly seeks: number[] = [];
  /** playbackRate values set, in order. */
  readonly rates: number[] = [];
  /** A scripted readyState; when undefined it follows the buffered ranges. */
  readyStateOverride: number | undefined;
  mediaSource: FakeMediaSource | undefined;
  private time = 0;
  private rate = 1;
  src = '';

  get currentTime(): number {
    return this.time;
  }

  set currentTime(value: number) {
    this.seeks.push(value);
    this.time = value;
    this.seeking = true;
    this.dispatchEvent(new Event('seeking'));
    setTimeout(() => {
      this.seeking = false;
      this.dispatchEvent(new Event('seeked'));
    }, 0);
  }

  get playbackRate(): number {
    return this.rate;
  }

  set playbackRate(value: number) {
    this.rates.push(value);
    this.rate = value;
  }

  /** What an object URL or a worker's MediaSourceHandle does: attach, then `sourceopen`. */
  attachSource(ms: FakeMediaSource): void {
    this.mediaSource = ms;
    setTimeout(() => ms.open(), 0);
  }

  removeAttribute(name: string): void {
    if (name === 'src') this.src = '';
  }

  load(): void {
    this.mediaSource?.close();
    this.mediaSource = undefined;
  }

  get buffered(): FakeTimeRanges {
    return this.mediaSource?.sourceBuffers[0]?.buffered ?? EMPTY;
  }

  /** HTML §4.8.11.9: [0, duration] for a finite MediaSource, else what is buffered. */
  get seekable(): FakeTimeRanges {
    const duration = this.mediaSource?.duration ?? NaN;
    if (Number.isFinite(duration)) return new FakeTimeRanges([[0, duration]]);
    const r = this.buffered;
    return r.length === 0 ? EMPTY : new FakeTimeRanges([[r.start(0), r.end(r.length - 1)]]);
  }

  get readyState(): number {
    if (this.readyStateOverride !== undefined) return this.readyStateOverride;
    const sb = this.mediaSource?.sourceBuffers[0];
    if (!sb) return HAVE_NOTHING;
    const r = sb.buffered;
    for (let i = 0; i < r.length; i++) {
      if (this.time >= r.start(i) && this.time < r.end(i)) {
        return r.end(i) - this.time > 0.1 ? HAVE_FUTURE_DATA : HAVE_CURRENT_DATA;
      }
    }
    return HAVE_METADATA;
  }

  play(): Promise<void> {
    this.paused = false;
    this.dispatchEvent(new Event('play'));
    return Promise.resolve();
  }

  pause(): void {
    this.paused = true;
    this.dispatchEvent(new Event('pause'));
  }

  getVideoPlaybackQuality(): VideoPlaybackQuality {
    return {
      totalVideoFrames: this.totalVideoFrames,
      droppedVideoFrames: this.droppedVideoFrames,
      corruptedVideoFrames: 0,
      creationTime: 0,
    };
  }

  /** Playback moved the playhead (no seek, no event). */
  playTo(time: number): void {
    this.time = time;
  }

  /** Fires a media event, e.g. 'waiting'. */
  fire(type: string): void {
    this.dispatchEvent(new Event(type));
  }

  private frameCallbacks = new Map<number, VideoFrameRequestCallback>();
  private nextFrameCallback = 1;

  /** HTML video rVFC: callbacks run once, at the next `present()`. */
  requestVideoFrameCallback(callback: VideoFrameRequestCallback): number {
    const id = this.nextFrameCallback++;
    this.frameCallbacks.set(id, callback);
    return id;
  }

  cancelVideoFrameCallback(id: number): void {
    this.frameCallbacks.delete(id);
  }

  /** Callbacks waiting for the next presented frame. */
  get frameCallbackCount(): number {
    return this.frameCallbacks.size;
  }

  /** The compositor presented a frame: `presentedFrames` so far (a gap: frames never shown). */
  present(presentedFrames: number, now = 0): void {
    const callbacks = [...this.frameCallbacks.values()];
    this.frameCallbacks.clear();
    const metadata = {
      presentationTime: now,
      expectedDisplayTime: now,
      width: 640,
      height: 480,
      mediaTime: this.time,
      presentedFrames,
    } satisfies VideoFrameCallbackMetadata;
    for (const callback of callbacks) callback(now, metadata);
  }

  asElement(): HTMLVideoElement {
    return this as unknown as HTMLVideoElement;
  }
}

/**
 * A video whose source already holds `segments` (init and media bytes, appended in order), the
 * media placed `offset` seconds later.
 */
export function videoWith(segments: readonly Uint8Array[], offset = 0): FakeVideo {
  const video = new FakeVideo();
  const ms = new FakeMediaSource();
  ms.open();
  const sb = ms.addSourceBuffer('video/mp4');
  sb.autoComplete = false;
  segments.forEach((data, i) => {
    if (i === 1) sb.timestampOffset = offset;
    sb.appendBuffer(data);
    sb.complete();
  });
  video.mediaSource = ms;
  return video;
}

function round(n: number): number {
  return Math.round(n * 1000) / 1000;
}

function toBytes(data: BufferSource | Uint8Array): Uint8Array {
  if (data instanceof Uint8Array) return data;
  if (ArrayBuffer.isView(data))
    return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return new Uint8Array(data);
}

function rangesOf(frames: readonly FakeFrame[]): FakeTimeRanges {
  const sorted = [...frames].sort((a, b) => a.pts - b.pts);
  const ranges: [number, number][] = [];
  for (const f of sorted) {
    const last = ranges[ranges.length - 1];
    if (last && f.pts <= last[1] + RANGE_TOLERANCE) last[1] = Math.max(last[1], f.pts + f.duration);
    else ranges.push([f.pts, f.pts + f.duration]);
  }
  return new FakeTimeRanges(ranges);
}

interface Box {
  readonly type: string;
  /** Payload start and end (after the 8-byte header). */
  readonly start: number;
  readonly end: number;
}

function boxes(view: DataView, start: number, end: number): Box[] {
  const list: Box[] = [];
  for (let at = start; at + 8 <= end;) {
    const size = view.getUint32(at);
    const type = String.fromCharCode(
      view.getUint8(at + 4),
      view.getUint8(at + 5),
      view.getUint8(at + 6),
      view.getUint8(at + 7),
    );
    if (size < 8) break;
    list.push({ type, start: at + 8, end: at + size });
    at += size;
  }
  return list;
}

function child(view: DataView, box: Box, type: string): Box | undefined {
  return boxes(view, box.start, box.end).find((b) => b.type === type);
}

/** Frames of the media segments in `bytes` (ISO/IEC 14496-12 tfhd/tfdt/trun), and the init's timescale. */
export function parseFmp4(
  bytes: Uint8Array,
  timescale: number,
): { timescale: number; frames: FakeFrame[] } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const frames: FakeFrame[] = [];
  for (const top of boxes(view, 0, bytes.byteLength)) {
    if (top.type === 'moov') {
      const mdhd = ['trak', 'mdia', 'mdhd'].reduce<Box | undefined>(
        (box, type) => (box ? child(view, box, type) : undefined),
        top,
      );
      if (mdhd) {
        const version = view.getUint8(mdhd.start);
        timescale = view.getUint32(mdhd.start + (version === 1 ? 20 : 12));
      }
    }
    if (top.type !== 'moof') continue;
    const traf = child(view, top, 'traf');
    if (!traf) continue;
    const tfhd = child(view, traf, 'tfhd');
    let defaultDuration = 0;
    let defaultSize = 0;
    let defaultFlags = 0;
    if (tfhd) {
      const r = new Reader(view, tfhd.start);
      const flags = r.u32() & 0xffffff;
      r.skip(4); // track_ID
      if (flags & 0x1) r.skip(8);
      if (flags & 0x2) r.skip(4);
      if (flags & 0x8) defaultDuration = r.u32();
      if (flags & 0x10) defaultSize = r.u32();
      if (flags & 0x20) defaultFlags = r.u32();
    }
    const tfdt = child(view, traf, 'tfdt');
    let dts = 0;
    if (tfdt) {
      const r = new Reader(view, tfdt.start);
      dts = r.u32() >>> 24 === 1 ? r.u64() : r.u32();
    }
    for (const trun of boxes(view, traf.start, traf.end).filter((b) => b.type === 'trun')) {
      const r = new Reader(view, trun.start);
      const versionAndFlags = r.u32();
      const version = versionAndFlags >>> 24;
      const flags = versionAndFlags & 0xffffff;
      const count = r.u32();
      if (flags & 0x1) r.skip(4);
      const firstFlags = flags & 0x4 ? r.u32() : undefined;
      for (let i = 0; i < count; i++) {
        const duration = flags & 0x100 ? r.u32() : defaultDuration;
        const size = flags & 0x200 ? r.u32() : defaultSize;
        const given = flags & 0x400 ? r.u32() : undefined;
        const sampleFlags =
          given ?? (i === 0 && firstFlags !== undefined ? firstFlags : defaultFlags);
        // trun version 1: signed composition offsets (§8.8.8.2).
        const cts = flags & 0x800 ? (version === 1 ? r.i32() : r.u32()) : 0;
        frames.push({
          pts: (dts + cts) / timescale,
          duration: duration / timescale,
          keyframe: (sampleFlags & 0x10000) === 0,
          bytes: size,
        });
        dts += duration;
      }
    }
  }
  return { timescale, frames };
}

class Reader {
  constructor(
    private readonly view: DataView,
    private at: number,
  ) {}
  u32(): number {
    const v = this.view.getUint32(this.at);
    this.at += 4;
    return v;
  }
  i32(): number {
    const v = this.view.getInt32(this.at);
    this.at += 4;
    return v;
  }
  u64(): number {
    const v = Number(this.view.getBigUint64(this.at));
    this.at += 8;
    return v;
  }
  skip(bytes: number): void {
    this.at += bytes;
  }
}
