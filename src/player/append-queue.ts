/**
 * The SourceBuffer's operation queue: one operation at a time (W3C MSE §3.2: a call while `updating`
 * throws InvalidStateError), in order, with removals going first.
 *
 * - Appends of media queued behind each other go in one `appendBuffer` (one parse and one
 *   `updateend` for a burst, e.g. a relay's GOP cache), up to MAX_BATCH_BYTES.
 * - Calls (timestampOffset, changeType, endOfStream, duration) run in queue order once the buffer is
 *   idle; a call may ask to wait (e.g. for metadata) until `resume()`.
 * - QuotaExceededError (§3.5.10: the browser's own eviction found no room) is never retried in the
 *   same call stack: the queue asks for a range to evict and retries at that removal's `updateend`
 *   (an eviction is pending meanwhile), or, with nothing to evict, after FULL_RETRY_MS. A full buffer
 *   whose playhead does not move while playing fails with BUFFER_FULL after MAX_FULL_RETRIES; a paused
 *   one waits.
 */
import type { Clock, TimerId } from './clock.js';
import { MEDIA_ERR_DECODE, PlayerError } from './errors.js';

export type QueueEntry<M> =
  | {
      readonly kind: 'append';
      readonly data: Uint8Array;
      readonly meta: M;
      /** May go in one append with the appends queued behind it. */
      readonly batchable: boolean;
    }
  | {
      readonly kind: 'call';
      readonly name: string;
      /** Runs with the SourceBuffer idle; 'wait' keeps it at the head until `resume()`. */
      readonly run: () => 'done' | 'wait';
    };

type AppendEntry<M> = Extract<QueueEntry<M>, { kind: 'append' }>;

export interface AppendQueueDeps<M> {
  readonly clock: Clock;
  /** An append completed: its entries' metadata and the timestampOffset it was made with. */
  appended(metas: readonly M[], timestampOffset: number): void;
  /** A removal completed (or found nothing to remove). */
  removed(): void;
  /** After QuotaExceededError: the range to remove to make room, or undefined when nothing can go. */
  evictable(): readonly [number, number] | undefined;
  /** Where playback is: a full buffer is waited out while paused, given up on when stuck. */
  playhead(): { readonly time: number; readonly paused: boolean };
  /** Whether queued media may go in one append (not before the first frame, for a fast start). */
  batching(): boolean;
  failed(error: PlayerError): void;
}

export interface AppendQueueCounters {
  appendedSegments: number;
  appendedBytes: number;
  quotaExceeded: number;
}

type QueueState<M> =
  | { readonly kind: 'idle' }
  | {
      readonly kind: 'appending';
      readonly batch: readonly AppendEntry<M>[];
      readonly offset: number;
    }
  | { readonly kind: 'removing'; readonly eviction: boolean }
  /** A call asked to wait. */
  | { readonly kind: 'waiting' }
  /** QuotaExceededError with nothing to evict: retried from a timer. */
  | { readonly kind: 'full'; readonly timer: TimerId }
  | { readonly kind: 'failed' }
  | { readonly kind: 'destroyed' };

/** Consecutive media segments are appended together up to this many bytes. */
export const MAX_BATCH_BYTES = 4 * 1024 * 1024;
/** A full buffer with nothing to evict is tried again after this long. */
export const FULL_RETRY_MS = 500;
/** Retries of a full buffer while the playhead plays but does not move, before BUFFER_FULL. */
export const MAX_FULL_RETRIES = 12;

export class AppendQueue<M> {
  readonly counters: AppendQueueCounters = {
    appendedSegments: 0,
    appendedBytes: 0,
    quotaExceeded: 0,
  };
  private state: QueueState<M> = { kind: 'idle' };
  private readonly entries: QueueEntry<M>[] = [];
  private buffer: SourceBuffer | undefined;
  private pendingRemoval: [number, number] | undefined;
  /** After QuotaExceededError the head goes alone, until an append succeeds. */
  private single = false;
  private fullRetries = 0;
  private fullAt: number | undefined;
  private readonly onUpdateEnd = (): void => this.updateEnd();
  /** The append in progress was rejected (its `updateend` follows: see updateEnd). */
  private rejected = false;
  private readonly onError = (): void => {
    this.rejected = true;
  };

  constructor(private readonly deps: AppendQueueDeps<M>) {}

  /** Entries waiting or in progress. */
  get length(): number {
    return this.entries.length + (this.state.kind === 'appending' ? this.state.batch.length : 0);
  }

  /** The metadata of the appends waiting or in progress, in order. */
  pending(): M[] {
    const metas: M[] = [];
    if (this.state.kind === 'appending') for (const e of this.state.batch) metas.push(e.meta);
    for (const e of this.entries) if (e.kind === 'append') metas.push(e.meta);
    return metas;
  }

  /** Nothing queued and nothing in progress. */
  get idle(): boolean {
    return this.entries.length === 0 && this.state.kind === 'idle' && !this.pendingRemoval;
  }

  get stateName(): QueueState<M>['kind'] {
    return this.state.kind;
  }

  /** The SourceBuffer to operate on (created by the first init segment's call). */
  attach(buffer: SourceBuffer): void {
    if (this.buffer === buffer) return;
    this.buffer?.removeEventListener('updateend', this.onUpdateEnd);
    this.buffer?.removeEventListener('error', this.onError);
    this.buffer = buffer;
    buffer.addEventListener('updateend', this.onUpdateEnd);
    buffer.addEventListener('error', this.onError);
  }

  push(entry: QueueEntry<M>): void {
    if (this.state.kind === 'failed' || this.state.kind === 'destroyed') return;
    this.entries.push(entry);
    this.pump();
  }

  /** Removes [start, end) before anything queued (merged with a removal not yet started). */
  remove(start: number, end: number): void {
    if (this.state.kind === 'failed' || this.state.kind === 'destroyed') return;
    const pending = this.pendingRemoval;
    this.pendingRemoval = pending
      ? [Math.min(pending[0], start), Math.max(pending[1], end)]
      : [start, end];
    this.pump();
  }

  /** Drops every entry not yet started (the operation in progress completes). */
  clear(): void {
    this.entries.length = 0;
    if (this.state.kind === 'full') {
      this.deps.clock.clearTimeout(this.state.timer);
      this.state = { kind: 'idle' };
    } else if (this.state.kind === 'waiting') {
      this.state = { kind: 'idle' };
    }
    this.single = false;
    this.fullRetries = 0;
  }

  /** A call that asked to wait can run now. */
  resume(): void {
    if (this.state.kind !== 'waiting') return;
    this.state = { kind: 'idle' };
    this.pump();
  }

  destroy(): void {
    if (this.state.kind === 'full') this.deps.clock.clearTimeout(this.state.timer);
    this.state = { kind: 'destroyed' };
    this.entries.length = 0;
    this.pendingRemoval = undefined;
    this.buffer?.removeEventListener('updateend', this.onUpdateEnd);
    this.buffer?.removeEventListener('error', this.onError);
  }

  private pump(): void {
    while (this.state.kind === 'idle') {
      const sb = this.buffer;
      if (this.pendingRemoval && sb && !sb.updating) {
        const [start, end] = this.pendingRemoval;
        this.pendingRemoval = undefined;
        if (sb.buffered.length === 0) {
          this.deps.removed();
          continue;
        }
        if (!this.run(() => sb.remove(start, end))) return;
        this.state = { kind: 'removing', eviction: false };
        return;
      }
      const head = this.entries[0];
      if (!head) return;
      if (sb?.updating) return; // an operation of someone else's; its updateend pumps again
      if (head.kind === 'call') {
        let result: 'done' | 'wait';
        try {
          result = head.run();
        } catch (error) {
          this.fail(error instanceof PlayerError ? error : failure(`run ${head.name} on`, error));
          return;
        }
        if (result === 'wait') {
          this.state = { kind: 'waiting' };
          return;
        }
        this.entries.shift();
        continue;
      }
      if (!sb) {
        this.fail(new PlayerError('APPEND_FAILED', 'Media data arrived before an init segment.'));
        return;
      }
      this.append(sb);
      return;
    }
  }

  private append(sb: SourceBuffer): void {
    const batch = this.takeBatch();
    const offset = sb.timestampOffset;
    try {
      sb.appendBuffer(joinData(batch) as Uint8Array<ArrayBuffer>);
      this.state = { kind: 'appending', batch, offset };
    } catch (error) {
      this.entries.unshift(...batch);
      if (error instanceof DOMException && error.name === 'QuotaExceededError') {
        this.quotaExceeded();
        return;
      }
      this.fail(failure('append to', error));
    }
  }

  private takeBatch(): AppendEntry<M>[] {
    const head = this.entries.shift() as AppendEntry<M>;
    const batch = [head];
    if (!head.batchable || this.single || !this.deps.batching()) return batch;
    let bytes = head.data.byteLength;
    while (bytes < MAX_BATCH_BYTES) {
      const next = this.entries[0];
      if (next?.kind !== 'append' || !next.batchable) break;
      batch.push(next);
      bytes += next.data.byteLength;
      this.entries.shift();
    }
    return batch;
  }

  private quotaExceeded(): void {
    this.counters.quotaExceeded++;
    this.single = true;
    const range = this.deps.evictable();
    const sb = this.buffer;
    if (range && sb) {
      // Pending eviction: the append is retried at this removal's updateend, not here.
      if (!this.run(() => sb.remove(range[0], range[1]))) return;
      this.state = { kind: 'removing', eviction: true };
      return;
    }
    const { time, paused } = this.deps.playhead();
    if (!paused && time === this.fullAt) this.fullRetries++;
    this.fullAt = time;
    if (this.fullRetries > MAX_FULL_RETRIES) {
      this.fail(
        new PlayerError(
          'BUFFER_FULL',
          'The browser’s media buffer is full and nothing behind the playhead can be removed to make room. The stream may have very long keyframe intervals or a very high bitrate for this device.',
          { retries: this.fullRetries },
        ),
      );
      return;
    }
    const timer = this.deps.clock.setTimeout(() => {
      if (this.state.kind !== 'full') return;
      this.state = { kind: 'idle' };
      this.pump();
    }, FULL_RETRY_MS);
    this.state = { kind: 'full', timer };
  }

  private updateEnd(): void {
    const state = this.state;
    if (state.kind === 'appending' && this.rejected) {
      // MSE's append error algorithm: `error`, `updateend`, then the media element's decode error.
      this.rejected = false;
      this.fail(
        new PlayerError(
          'MEDIA_ERROR',
          'The browser could not decode the video: it rejected appended media (MSE append error).',
          { mediaErrorCode: MEDIA_ERR_DECODE },
        ),
      );
      return;
    }
    if (state.kind === 'appending') {
      this.state = { kind: 'idle' };
      this.single = false;
      this.fullRetries = 0;
      this.fullAt = undefined;
      for (const entry of state.batch) {
        this.counters.appendedSegments++;
        this.counters.appendedBytes += entry.data.byteLength;
      }
      this.deps.appended(
        state.batch.map((e) => e.meta),
        state.offset,
      );
    } else if (state.kind === 'removing') {
      this.state = { kind: 'idle' };
      this.deps.removed();
    }
    this.pump();
  }

  /** Runs a SourceBuffer call; a throw fails the queue. */
  private run(call: () => void): boolean {
    try {
      call();
      return true;
    } catch (error) {
      this.fail(failure('remove from', error));
      return false;
    }
  }

  private fail(error: PlayerError): void {
    if (this.state.kind === 'full') this.deps.clock.clearTimeout(this.state.timer);
    this.state = { kind: 'failed' };
    this.entries.length = 0;
    this.pendingRemoval = undefined;
    this.deps.failed(error);
  }
}

function failure(what: string, error: unknown): PlayerError {
  return new PlayerError(
    'APPEND_FAILED',
    `Could not ${what} the media buffer: ${error instanceof Error ? error.message : String(error)}`,
  );
}

/** The data of a batch as one buffer (no copy for a single entry). */
function joinData(batch: readonly AppendEntry<unknown>[]): Uint8Array {
  const first = batch[0];
  if (batch.length === 1 && first) return first.data;
  let bytes = 0;
  for (const entry of batch) bytes += entry.data.byteLength;
  const out = new Uint8Array(bytes);
  let offset = 0;
  for (const entry of batch) {
    out.set(entry.data, offset);
    offset += entry.data.byteLength;
  }
  return out;
}
