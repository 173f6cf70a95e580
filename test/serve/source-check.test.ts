// The relay's check of a source's first bytes (H264Gate, src/cli/serve/sources.ts): what it lets
// through, how soon, and what it tells the operator.
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { H264Gate, RETRY_LOG_EVERY_MS } from '../../src/cli/serve/sources.js';
import { AccessUnitReader, Transmuxer, concatBytes } from '../../src/core/index.js';
import { collectWs, fixture, startRelay, waitFor, type TestRelay } from './helpers.js';

const relays: TestRelay[] = [];
afterEach(async () => {
  await Promise.all(relays.splice(0).map((r) => r.close()));
});

/** Where a stream's second keyframe begins: the size of its first GOP. */
function firstGopBytes(data: Uint8Array): number {
  const reader = new AccessUnitReader();
  const aus = [...reader.push(data), ...reader.flush()];
  const second = aus.filter((au) => au.keyframe)[1];
  return second ? second.offset : data.length;
}

async function stdinRelay(): Promise<{ relay: TestRelay; stdin: PassThrough }> {
  const stdin = new PassThrough();
  const relay = await startRelay({ kind: 'stdin' }, {}, { stdin });
  relays.push(relay);
  return { relay, stdin };
}

describe('the check of a source', () => {
  it('lets a stream through at its first frame, not at the end of its first GOP', () => {
    const data = fixture('p01_pi_baseline_vga30_inline.h264');
    const gop = firstGopBytes(data);
    const gate = new H264Gate();
    let heldWhenValid = -1;
    for (let at = 0; at < data.length && heldWhenValid < 0; at += 4096) {
      const ready = gate.push(data.subarray(at, at + 4096));
      if (ready.length > 0) heldWhenValid = Math.min(at + 4096, data.length);
    }
    // The first GOP is 3 s of frames; it was held whole before anything flowed.
    expect(heldWhenValid).toBeGreaterThan(0);
    expect(heldWhenValid).toBeLessThan(gop / 4);
    expect(gate.info?.width).toBe(640);
  });

  it('a stream of one GOP piped whole and ended is relayed, not refused as not H.264', async () => {
    const data = fixture('p19_high_bitrate_qp10.h264');
    expect(firstGopBytes(data)).toBe(data.length);
    const { relay, stdin } = await stdinRelay();
    const viewer = collectWs(`ws://127.0.0.1:${relay.port}/stream`);
    await waitFor('the viewer joined', () => relay.relay.stats().viewers.total === 1);
    stdin.end(data);
    expect(await relay.finished).toBe(0);
    await waitFor('the end of the stream', () => viewer.closed());
    const reader = new AccessUnitReader();
    const expected = [...reader.push(data), ...reader.flush()].length;
    expect(viewer.frames).toHaveLength(expected);
    expect(relay.logs.join('\n')).not.toMatch(/not a raw H\.264/);
  });

  it('junk before the stream is told in the log, with its size', async () => {
    const { relay, stdin } = await stdinRelay();
    const banner = new TextEncoder().encode('Welcome to the camera shell, version 1.2\n');
    stdin.write(concatBytes([banner, fixture('p01_pi_baseline_vga30_inline.h264')]));
    await waitFor('streaming', () => relay.source.status.state === 'streaming');
    expect(relay.logs.join('\n')).toMatch(/skipped \d+ bytes before the first start code/);
    stdin.end();
  });

  it('an MP4 piped in is named as one when the stream ends, though its insides were read on', async () => {
    const t = new Transmuxer();
    const outs = [...t.push(fixture('p01_pi_baseline_vga30_inline.h264')), ...t.flush()];
    const mp4 = concatBytes(outs.flatMap((o) => ('data' in o ? [o.data] : [])));
    expect(mp4.length).toBeGreaterThan(100_000);
    const { relay, stdin } = await stdinRelay();
    stdin.end(mp4);
    expect(await relay.finished).toBe(1);
    const fatal = relay.logs.filter((l) => l.startsWith('error:')).join('\n');
    expect(fatal).toMatch(/it looks like mp4/);
  });
});

describe('an upstream that takes the connection and never answers', () => {
  it('--url: given up after the stall timeout (3 s here), told, and tried again', async () => {
    const held: Socket[] = [];
    let connections = 0;
    const server = createServer((socket) => {
      connections++;
      held.push(socket);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const port = (server.address() as AddressInfo).port;
      const relay = await startRelay({ kind: 'url', url: `http://127.0.0.1:${port}/stream.h264` });
      relays.push(relay);
      // fetch's own headers timeout is 5 minutes.
      await waitFor('a second try', () => connections >= 2, 15_000);
      expect(relay.source.status.error).toMatch(/upstream sent no answer in 3 s/);
    } finally {
      for (const s of held) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('a camera that stays unreachable', () => {
  it('is told in the log once, then once a minute with the tries since', async () => {
    // A port nobody listens on (bound then released).
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise((resolve) => probe.close(resolve));
    const clock = { t: 0 };
    const relay = await startRelay(
      { kind: 'tcp', host: '127.0.0.1', port },
      {},
      { now: () => clock.t },
    );
    relays.push(relay);
    const told = (): string[] => relay.logs.filter((l) => l.includes('camera unreachable'));
    await waitFor('five tries', () => relay.source.status.reconnects >= 5);
    expect(told()).toHaveLength(1);
    clock.t += RETRY_LOG_EVERY_MS;
    const tries = relay.source.status.reconnects;
    await waitFor('another try', () => relay.source.status.reconnects > tries + 1);
    expect(told()).toHaveLength(2);
    expect(told()[1]).toMatch(/\((\d+) more tries failed so\); retrying in/);
    expect(Number(/\((\d+) more/.exec(told()[1] ?? '')?.[1])).toBeGreaterThanOrEqual(4);
  });
});

describe('a camera that goes silent and keeps its connection', () => {
  it('is told to viewers as down after the quiet time, a viewer joining then gets no stale frames, and it is up again at its next byte', async () => {
    // A hung camera (SIGSTOP, a stuck pipeline): /status said streaming, viewers heard nothing until
    // the 10 s stall rule; a page gave up at 5 s, reconnected, and got the GOP cache's old frames as live.
    const data = fixture('p01_pi_baseline_vga30_inline.h264');
    const reader = new AccessUnitReader();
    const aus = [...reader.push(data), ...reader.flush()].map((au) => au.data);
    const stdin = new PassThrough();
    const relay = await startRelay({ kind: 'stdin' }, {}, { stdin, quietMs: 400 });
    relays.push(relay);
    const early = collectWs(`ws://127.0.0.1:${relay.port}/stream`);
    await waitFor('the viewer joined', () => relay.relay.stats().viewers.total === 1);
    for (const au of aus.slice(0, 40)) stdin.write(au);
    await waitFor('frames out', () => early.frames.length >= 30);
    const down = (text: string): boolean => /"upstream":"down".*has sent nothing for/.test(text);
    await waitFor('told down', () => early.texts.some(down), 5000);
    expect(relay.logs.join('\n')).toMatch(/nothing for \d+ s; viewers are told the camera is down/);
    // /status says so too (its source state is still 'streaming': the connection is up).
    const status = async (): Promise<{ source: { state: string }; upstream: unknown }> =>
      (await fetch(`http://127.0.0.1:${relay.port}/status`)).json() as Promise<{
        source: { state: string };
        upstream: unknown;
      }>;
    const quiet = await status();
    expect(quiet.source.state).toBe('streaming');
    expect(quiet.upstream).toMatchObject({ upstream: 'down', reason: /has sent nothing for/ });
    // A viewer joining now: told at once, and no cached frames (they are not live).
    const late = collectWs(`ws://127.0.0.1:${relay.port}/stream`);
    await waitFor('late told down', () => late.texts.some(down));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(late.frames).toHaveLength(0);
    // The camera goes on: up again; the late viewer starts at the next keyframe.
    for (const au of aus.slice(40)) stdin.write(au);
    await waitFor('told up', () => early.texts.at(-1) === JSON.stringify({ upstream: 'up' }));
    expect((await status()).upstream).toEqual({ upstream: 'up' });
    await waitFor('late viewer frames', () => late.frames.length > 0);
    expect(new AccessUnitReader().push(late.frames[0]!, true)[0]?.keyframe).toBe(true);
    expect(relay.logs.join('\n')).toMatch(/sending again after \d+\.\d s of silence/);
    stdin.end();
    late.stop();
    early.stop();
  });
});
