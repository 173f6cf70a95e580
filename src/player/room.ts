/**
 * Backpressure for a file: its source reads on only while the buffer has room (not too many segments
 * queued, less than `maxAhead` seconds buffered ahead of the playhead and queued together), so that a
 * GB file is never read far ahead of what is shown. A source's chunk can hold many seconds (Chromium's
 * File.stream() hands out MBs at once): the seconds queued count, or the next chunk would be let in
 * before the last one was appended.
 */
import { bufferedAhead } from './media-element.js';
import type { MediaElement } from './media-element.js';

/** More queued segments than this: no room, whatever is buffered. */
const MAX_QUEUED = 8;

export class BufferRoom {
  private waiters: (() => void)[] = [];
  private open = false;

  constructor(
    private readonly media: MediaElement,
    /** Segments queued and their seconds. */
    private readonly queued: () => { readonly segments: number; readonly seconds: number },
    private maxAhead: number,
  ) {}

  setMaxAhead(seconds: number): void {
    this.maxAhead = seconds;
  }

  get hasRoom(): boolean {
    if (this.open) return true;
    const queued = this.queued();
    if (queued.segments > MAX_QUEUED) return false;
    const ahead = bufferedAhead(this.media.buffered, this.media.currentTime);
    return ahead + queued.seconds < this.maxAhead;
  }

  /** Resolves when there is room (at once when there is). */
  wait(): Promise<void> {
    if (this.hasRoom) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Called when room may have been made (the playhead moved, an append completed). */
  check(): void {
    if (this.waiters.length === 0 || !this.hasRoom) return;
    const waiters = this.waiters;
    this.waiters = [];
    for (const resolve of waiters) resolve();
  }

  /** For good (the player failed or was destroyed): nobody waits any more. */
  release(): void {
    this.open = true;
    this.check();
  }
}
