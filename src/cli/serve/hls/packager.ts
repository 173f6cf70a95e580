import {
  H264MuxError,
  Transmuxer,
  type TransmuxerOptions,
  type TransmuxerOutput,
} from '../../../core/index.js';
import type { SourceSink } from '../sources.js';
import { HlsSegmenter, type SegmenterOptions } from './segmenter.js';

/** An anchor interval below one frame: an anchor before every recovery point that needs one. */
const EVERY_RECOVERY_POINT = 1e-6;

export interface HlsPackagerOptions extends Omit<SegmenterOptions, 'epoch'> {
  /** Frame rate for streams without timing (the file source's --fps). */
  readonly fps?: number;
  /** Defaults to the start time in base 36: unique per run. */
  readonly epoch?: string;
  log(message: string): void;
}

/**
 * The relay's LL-HLS rendition: the source's bytes, as they arrive, through a core Transmuxer (one
 * fragment per frame, no reordering delay for live) into the segmenter. Sits beside the relay as a second
 * sink of the same source; a source reconnect resets the transmuxer, which keeps the timeline going.
 */
export class HlsPackager implements SourceSink {
  readonly segmenter: HlsSegmenter;
  private transmuxer: Transmuxer;
  private transmuxerOptions: TransmuxerOptions;

  constructor(private readonly options: HlsPackagerOptions) {
    this.segmenter = new HlsSegmenter({
      ...options,
      epoch: options.epoch ?? Date.now().toString(36),
    });
    this.transmuxerOptions = {
      fragment: 'frame',
      lowLatency: true,
      segmentParts: true,
      // Each segment may be a player's first: one that starts at a recovery point Chromium's MSE does
      // not start at (periodic intra refresh) gets an anchor it does (TransmuxerOptions.anchorInterval).
      anchorInterval: EVERY_RECOVERY_POINT,
      ...(options.fps !== undefined ? { fps: options.fps } : {}),
    };
    this.transmuxer = new Transmuxer(this.transmuxerOptions);
  }

  /**
   * Times the stream at `fps` from now on (an upstream relay's --fps, told when it connects): before
   * any frame it is as if given at the start; later, a new timeline after a discontinuity.
   */
  timeAt(fps: number): void {
    if (this.transmuxerOptions.fps === fps) return;
    this.transmuxerOptions = { ...this.transmuxerOptions, fps };
    const started = this.transmuxer.info !== undefined;
    this.transmuxer = new Transmuxer(this.transmuxerOptions);
    if (started) this.segmenter.discontinuity(true);
  }

  push(chunk: Uint8Array, endOfAccessUnit = false): void {
    this.run(() => this.transmuxer.push(chunk, { endOfAccessUnit }));
  }

  end(): void {
    this.run(() => this.transmuxer.flush());
    this.segmenter.end();
  }

  sourceReset(): void {
    // Its complete frames (those held for reordering) are segmented before the discontinuity.
    this.run(() => this.transmuxer.reset());
    this.segmenter.discontinuity();
  }

  stats(): Record<string, number | boolean> {
    return this.segmenter.stats();
  }

  private run(step: () => TransmuxerOutput[]): void {
    let outs: TransmuxerOutput[];
    try {
      outs = step();
    } catch (e) {
      // A transmuxer that failed stays failed: start a new one, with a new timeline. Whatever went wrong
      // here, the relay's own viewers go on.
      const what = e instanceof H264MuxError ? e.message : `unexpected error: ${String(e)}`;
      this.options.log(`hls: ${what}; restarting the HLS packager at the next keyframe`);
      this.transmuxer = new Transmuxer(this.transmuxerOptions);
      this.segmenter.discontinuity(true);
      return;
    }
    for (const out of outs) {
      if (out.type === 'init') this.segmenter.addInit(out);
      else if (out.type === 'media') this.segmenter.addFrame(out);
      else if (out.type === 'warning') this.options.log(`hls: ${out.message}`);
    }
  }
}
