// The append queue against a scripted SourceBuffer whose operations complete only when the test
// says so, and a fake clock.
import { describe, expect, it } from 'vitest';
import { AppendQueue, FULL_RETRY_MS, MAX_FULL_RETRIES } from '../../../src/player/append-queue.js';
import type { AppendQueueDeps } from '../../../src/player/append-queue.js';
import type { PlayerError } from '../../../src/player/errors.js';
import { FakeClock } from './fake-clock.js';
import { FakeMediaSource } from './fake-mse.js';
import type { FakeSourceBuffer } from './fake-mse.js';
import { segmentsOf } from './segments.js';

interface Setup {
  readonly queue: AppendQueue<string>;
  readonly sb: FakeSourceBuffer;
  readonly clock: FakeClock;
  readonly appended: string[][];
  readonly errors: PlayerError[];
  removed: number;
  evictable: readonly [number, number] | undefined;
  playhead: { time: number; paused: boolean };
  batching: boolean;
}

function setup(): Setup {
  const ms = new FakeMediaSource();
  ms.open();
  const sb = ms.addSourceBuffer('video/mp4; codecs="avc1.42C028"');
  sb.autoComplete = false;
  const clock = new FakeClock();
  const s: Setup = {
    sb,
    clock,
    appended: [],
    errors: [],
    removed: 0,
    evictable: undefined,
    playhead: { time: 0, paused: false },
    batching: true,
    queue: undefined as unknown as AppendQueue<string>,
  };
  const deps: AppendQueueDeps<string> = {
    clock,
    appended: (metas) => s.appended.push([...metas]),
    removed: () => s.removed++,
    evictable: () => s.evictable,
    playhead: () => s.playhead,
    batching: () => s.batching,
    failed: (e) => s.errors.push(e),
  };
  const queue = new AppendQueue<string>(deps);
  queue.attach(sb as unknown as SourceBuffer);
  return Object.assign(s, { queue });
}

const { init, media } = segmentsOf('p01');

function appendOf(i: number, batchable = true) {
  const m = media[i];
  if (!m) throw new Error(`no segment ${i}`);
  return { kind: 'append', data: m.data, meta: `m${i}`, batchable } as const;
}

describe('AppendQueue', () => {
  it('runs one operation at a time, in order, and batches what queued up meanwhile', () => {
    const s = setup();
    s.queue.push({ kind: 'append', data: init.data, meta: 'init', batchable: false });
    s.queue.push(appendOf(0));
    s.queue.push(appendOf(1));
    s.queue.push(appendOf(2));
    expect(s.sb.log).toEqual([`append ${init.data.byteLength}`]);
    expect(s.queue.length).toBe(4);
    s.sb.complete();
    expect(s.appended).toEqual([['init']]);
    // The three media segments queued behind the init segment go in one append.
    s.sb.complete();
    expect(s.appended).toEqual([['init'], ['m0', 'm1', 'm2']]);
    expect(s.sb.frames).toHaveLength(90);
    expect(s.queue.counters.appendedSegments).toBe(4);
    expect(s.queue.idle).toBe(true);
  });

  it('appends one at a time while batching is off (before the first frame)', () => {
    const s = setup();
    s.batching = false;
    s.queue.push({ kind: 'append', data: init.data, meta: 'init', batchable: false });
    s.queue.push(appendOf(0));
    s.queue.push(appendOf(1));
    s.sb.complete();
    s.sb.complete();
    s.sb.complete();
    expect(s.appended).toEqual([['init'], ['m0'], ['m1']]);
  });

  it('runs calls when the buffer is idle; a call that waits holds the queue until resume()', () => {
    const s = setup();
    const calls: string[] = [];
    let ready = false;
    s.queue.push({ kind: 'append', data: init.data, meta: 'init', batchable: false });
    s.queue.push({
      kind: 'call',
      name: 'start',
      run: () => {
        calls.push(`start updating=${s.sb.updating}`);
        return ready ? 'done' : 'wait';
      },
    });
    s.queue.push(appendOf(0));
    expect(calls).toEqual([]);
    s.sb.complete();
    expect(calls).toEqual(['start updating=false']);
    expect(s.queue.stateName).toBe('waiting');
    expect(s.sb.log).toHaveLength(1);
    ready = true;
    s.queue.resume();
    expect(calls).toHaveLength(2);
    expect(s.sb.log).toHaveLength(2);
  });

  it('removes before anything queued, merging removals not yet started', () => {
    const s = setup();
    s.queue.push({ kind: 'append', data: init.data, meta: 'init', batchable: false });
    s.sb.complete();
    s.queue.push(appendOf(0));
    s.queue.push(appendOf(1));
    s.queue.remove(0, 0.5);
    s.queue.remove(0, 1);
    s.sb.complete();
    expect(s.sb.log.slice(-1)).toEqual(['remove 0-1']);
    s.sb.complete();
    expect(s.removed).toBe(1);
    expect(s.sb.log.slice(-1)[0]).toMatch(/^append /);
  });

  it('a removal with nothing buffered completes at once', () => {
    const s = setup();
    s.queue.remove(0, Infinity);
    expect(s.removed).toBe(1);
    expect(s.sb.log).toEqual([]);
  });

  it('after QuotaExceededError evicts, and appends again only at the removal’s updateend', () => {
    const s = setup();
    s.queue.push({ kind: 'append', data: init.data, meta: 'init', batchable: false });
    s.sb.complete();
    s.queue.push(appendOf(0));
    s.queue.push(appendOf(1));
    s.sb.complete();
    s.sb.complete();
    expect(s.appended).toEqual([['init'], ['m0'], ['m1']]);
    s.sb.quota = s.sb.storedBytes + 1;
    s.evictable = [0, 1];
    s.playhead = { time: 1.5, paused: false };
    s.queue.push(appendOf(2));
    s.queue.push(appendOf(3));
    // One failed attempt, then the eviction, nothing else in this call stack.
    expect(s.sb.appendCalls).toBe(4);
    expect(s.sb.log.slice(-1)).toEqual(['remove 0-1']);
    expect(s.queue.stateName).toBe('removing');
    expect(s.queue.counters.quotaExceeded).toBe(1);
    s.evictable = undefined;
    s.sb.quota = Infinity;
    s.sb.complete();
    // The retry goes alone (a smaller append), then batching resumes.
    expect(s.sb.appendCalls).toBe(5);
    s.sb.complete();
    expect(s.appended.slice(-1)).toEqual([['m2']]);
    s.sb.complete();
    expect(s.appended.slice(-1)).toEqual([['m3']]);
  });

  it('with nothing to evict it never retries in the same call stack, and waits while paused', () => {
    const s = setup();
    s.queue.push({ kind: 'append', data: init.data, meta: 'init', batchable: false });
    s.sb.complete();
    s.sb.quota = s.sb.storedBytes;
    s.playhead = { time: 0, paused: true };
    s.queue.push(appendOf(0));
    expect(s.sb.appendCalls).toBe(2);
    expect(s.queue.stateName).toBe('full');
    s.clock.advance(FULL_RETRY_MS * 100);
    // Paused: it keeps waiting for the user, without an error.
    expect(s.sb.appendCalls).toBe(2 + 100);
    expect(s.errors).toEqual([]);
    // Room made elsewhere: the next retry goes through.
    s.sb.quota = Infinity;
    s.clock.advance(FULL_RETRY_MS);
    expect(s.sb.log.slice(-1)[0]).toMatch(/^append /);
    s.sb.complete();
    expect(s.appended.slice(-1)).toEqual([['m0']]);
  });

  it('gives up with BUFFER_FULL when playing but stuck with a full buffer', () => {
    const s = setup();
    s.queue.push({ kind: 'append', data: init.data, meta: 'init', batchable: false });
    s.sb.complete();
    s.sb.quota = s.sb.storedBytes;
    s.queue.push(appendOf(0));
    s.clock.advance(FULL_RETRY_MS * (MAX_FULL_RETRIES + 5));
    expect(s.errors.map((e) => e.code)).toEqual(['BUFFER_FULL']);
    expect(s.sb.appendCalls).toBe(2 + MAX_FULL_RETRIES + 1);
    expect(s.clock.pending).toBe(0);
    s.queue.push(appendOf(1));
    expect(s.sb.appendCalls).toBe(2 + MAX_FULL_RETRIES + 1);
  });

  it('does not count retries while the playhead moves', () => {
    const s = setup();
    s.queue.push({ kind: 'append', data: init.data, meta: 'init', batchable: false });
    s.sb.complete();
    s.sb.quota = s.sb.storedBytes;
    s.queue.push(appendOf(0));
    for (let i = 0; i < MAX_FULL_RETRIES * 3; i++) {
      s.playhead = { time: i * 0.5, paused: false };
      s.clock.advance(FULL_RETRY_MS);
    }
    expect(s.errors).toEqual([]);
  });

  it('clear() drops what has not started; the append in progress completes and is reported', () => {
    const s = setup();
    s.queue.push({ kind: 'append', data: init.data, meta: 'init', batchable: false });
    s.sb.complete();
    s.queue.push(appendOf(0));
    s.queue.push(appendOf(1));
    s.queue.clear();
    s.sb.complete();
    expect(s.appended.slice(-1)).toEqual([['m0']]);
    expect(s.queue.idle).toBe(true);
  });

  it('fails with APPEND_FAILED when appendBuffer throws anything but QuotaExceededError', () => {
    const s = setup();
    s.sb.parentSource.close();
    s.queue.push({ kind: 'append', data: init.data, meta: 'init', batchable: false });
    expect(s.errors.map((e) => e.code)).toEqual(['APPEND_FAILED']);
    expect(s.errors[0]?.message).toContain('closed');
    // Failed for good: nothing more is tried.
    s.queue.push(appendOf(0));
    expect(s.sb.appendCalls).toBe(1);
  });

  it("fails with a decode MEDIA_ERROR when an append is rejected (MSE's append error), and appends nothing more", () => {
    const s = setup();
    s.queue.push({ kind: 'append', data: init.data, meta: 'init', batchable: false });
    s.sb.complete();
    s.sb.rejectNext = true;
    s.batching = false;
    s.queue.push(appendOf(0));
    s.queue.push(appendOf(1));
    s.sb.complete();
    expect(s.errors.map((e) => [e.code, e.detail['mediaErrorCode']])).toEqual([['MEDIA_ERROR', 3]]);
    expect(s.appended).toEqual([['init']]);
    expect(s.sb.appendCalls).toBe(2);
  });

  it('fails with the error of a call that throws', () => {
    const s = setup();
    s.queue.push({
      kind: 'call',
      name: 'timestampOffset',
      run: () => {
        throw new Error('boom');
      },
    });
    expect(s.errors.map((e) => e.code)).toEqual(['APPEND_FAILED']);
    expect(s.errors[0]?.message).toContain('timestampOffset');
  });
});
