/**
 * Opening a MediaSource on a media element and keeping its one SourceBuffer: creation at the first
 * init segment, `changeType()` for an init segment of another type (W3C MSE §3.3), the duration
 * (§2.4.6: never below the buffered frames) and the end of the stream (§2.4.7).
 *
 * MediaSource or ManagedMediaSource: iOS Safari has only ManagedMediaSource, which opens only when
 * remote playback is disabled or an alternative source is given.
 */
import { PlayerError, unsupported } from './errors.js';
import type { CodecFacts } from './errors.js';
import { bounds } from './media-element.js';
import type { MediaElement } from './media-element.js';

export interface MediaSourceKind {
  readonly name: 'MediaSource' | 'ManagedMediaSource';
  readonly ctor: typeof MediaSource;
}

interface MaybeManagedGlobals {
  readonly MediaSource?: typeof MediaSource;
  readonly ManagedMediaSource?: typeof MediaSource;
}

/** The MediaSource constructor to use, or undefined when there is no MSE at all. */
export function findMediaSource(): MediaSourceKind | undefined {
  const g = globalThis as unknown as MaybeManagedGlobals;
  if (typeof g.MediaSource === 'function') return { name: 'MediaSource', ctor: g.MediaSource };
  if (typeof g.ManagedMediaSource === 'function') {
    return { name: 'ManagedMediaSource', ctor: g.ManagedMediaSource };
  }
  return undefined;
}

/** MediaSource.isTypeSupported through whichever constructor exists. */
export function isTypeSupported(mimeType: string): boolean {
  const kind = findMediaSource();
  return kind !== undefined && kind.ctor.isTypeSupported(mimeType);
}

/**
 * Makes `mediaSource` the element's source; returns what undoes it. On a page: an object URL. (A
 * MediaSource made in a worker reaches the page as a MediaSourceHandle for `srcObject` instead.)
 */
export type AttachMediaSource = (mediaSource: MediaSource, media: MediaElement) => () => void;

export const attachByObjectUrl: AttachMediaSource = (mediaSource, media) => {
  const url = URL.createObjectURL(mediaSource);
  media.src = url;
  return () => {
    media.removeAttribute('src');
    media.load();
    URL.revokeObjectURL(url);
  };
};

type HostState = 'idle' | 'opening' | 'open' | 'destroyed';

export class MediaSourceHost {
  /** Calls of changeType() (a new init segment with another codec string). */
  typeChanges = 0;
  private state: HostState = 'idle';
  private mediaSource: MediaSource | undefined;
  private buffer: SourceBuffer | undefined;
  private type = '';
  private detach: (() => void) | undefined;

  constructor(
    private readonly media: MediaElement,
    private readonly kind: MediaSourceKind | undefined,
    private readonly attach: AttachMediaSource = attachByObjectUrl,
  ) {}

  get name(): string {
    return this.kind?.name ?? 'none';
  }

  get mimeType(): string {
    return this.type;
  }

  get sourceBuffer(): SourceBuffer | undefined {
    return this.buffer;
  }

  /** The MediaSource's duration (NaN before it is set). */
  get duration(): number {
    return this.mediaSource?.duration ?? NaN;
  }

  /** The MediaSource's readyState; 'closed' before `open()` and after `destroy()`. */
  get readyState(): ReadyState {
    return this.state === 'destroyed' ? 'closed' : (this.mediaSource?.readyState ?? 'closed');
  }

  /** Creates the MediaSource, attaches it and resolves at `sourceopen`. */
  open(): Promise<void> {
    if (!this.kind) {
      return Promise.reject(
        new PlayerError(
          'NO_MSE',
          'This browser has no Media Source Extensions (MediaSource or ManagedMediaSource): it cannot play raw H.264 here.',
        ),
      );
    }
    if (this.state !== 'idle') return Promise.reject(new Error('MediaSourceHost: opened twice'));
    this.state = 'opening';
    const mediaSource = new this.kind.ctor();
    this.mediaSource = mediaSource;
    return new Promise((resolve) => {
      mediaSource.addEventListener(
        'sourceopen',
        () => {
          if (this.state === 'opening') this.state = 'open';
          resolve();
        },
        { once: true },
      );
      this.detach = this.attach(mediaSource, this.media);
    });
  }

  /**
   * The SourceBuffer for an init segment of `mimeType` (call while no SourceBuffer operation runs):
   * created for the first, switched for another type. Throws a PlayerError.
   */
  prepare(mimeType: string, facts?: CodecFacts): SourceBuffer {
    const ms = this.mediaSource;
    if (!ms || this.state !== 'open') throw new Error('MediaSourceHost: not open');
    if (this.buffer && mimeType === this.type) return this.buffer;
    if (!this.kind?.ctor.isTypeSupported(mimeType)) throw unsupported(mimeType, facts);
    if (!this.buffer) {
      const sb = ms.addSourceBuffer(mimeType);
      sb.mode = 'segments';
      this.buffer = sb;
    } else if (typeof this.buffer.changeType === 'function') {
      this.buffer.changeType(mimeType);
      this.typeChanges++;
    }
    // Without changeType (old browsers), the same codec family usually takes the new init segment.
    this.type = mimeType;
    return this.buffer;
  }

  /**
   * Sets the duration when the source is open and idle; never below the buffered frames (MSE
   * §2.4.6 would throw). Returns false when it could not be set now.
   */
  setDuration(seconds: number): boolean {
    const ms = this.mediaSource;
    if (!ms || ms.readyState !== 'open' || this.buffer?.updating) return false;
    const end = this.buffer ? bounds(this.buffer.buffered).end : 0;
    ms.duration = Math.max(seconds, end);
    return true;
  }

  /** Ends the stream (the duration becomes the buffered end, MSE §2.4.7); false when not open. */
  endOfStream(): boolean {
    const ms = this.mediaSource;
    if (!ms || ms.readyState !== 'open' || this.buffer?.updating) return false;
    ms.endOfStream();
    return true;
  }

  destroy(): void {
    if (this.state === 'destroyed') return;
    this.state = 'destroyed';
    this.detach?.();
    this.detach = undefined;
  }
}
