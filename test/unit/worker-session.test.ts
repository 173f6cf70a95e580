// The transmuxer worker's session (src/worker/worker-session.ts) with a scripted live source and a
// recording renderer, on a real stream: the early session (the page's first script's) transmuxes and
// shows a live connection before the page exists; a page that plays it the same way takes it over
// without losing or repeating a frame; a page that plays it otherwise gets the stream from its first
// frame with its own options; bounded while no page comes.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AccessUnitReader } from '../../src/core/access-unit-reader.js';
import type { TransmuxerOutput } from '../../src/core/index.js';
import { EARLY_COMMAND_ID, playbackTransmuxerOptions } from '../../src/worker/protocol.js';
import type {
  SourceSpec,
  WorkerCommand,
  WorkerResponse,
  WorkerSourceMessage,
} from '../../src/worker/protocol.js';
import { MAX_HELD_BYTES } from '../../src/worker/source-reader.js';
import { WorkerSession } from '../../src/worker/worker-session.js';
import type { OutputRenderer, RenderCommand } from '../../src/worker/worker-session.js';
import { readFixture } from '../helpers/fixtures.js';
import { ScriptedSource } from '../helpers/scripted-source.js';

const SPEC: SourceSpec = { kind: 'websocket', url: 'ws://camera/stream', stallTimeoutMs: 5000 };
const LIVE = { live: true, reconnect: false, accessUnitFraming: true };

class RecordingRenderer implements OutputRenderer {
  readonly frames: number[] = [];
  inits = 0;
  closed = false;
  constructor(readonly command: RenderCommand) {}
  feed(outputs: readonly TransmuxerOutput[]): void {
    for (const out of outputs) {
      if (out.type === 'init') this.inits++;
      if (out.type === 'media') for (const s of out.samples) this.frames.push(s.pts);
    }
  }
  close(): void {
    this.closed = true;
  }
}

/** The access units of a stream without VUI timing (its frame rate is the transmuxer's to choose). */
function accessUnits(): Uint8Array[] {
  const data = readFixture('p02_pi_baseline_vga30_notiming.h264');
  const reader = new AccessUnitReader();
  return [...reader.push(data), ...reader.flush()].map((au) =>
    data.slice(au.offset, au.offset + au.size),
  );
}

const AUS = accessUnits();

function setup() {
  const sources: ScriptedSource[] = [];
  const renderers: RecordingRenderer[] = [];
  const posted: (WorkerResponse | WorkerSourceMessage)[] = [];
  const session = new WorkerSession({
    post: (message) => posted.push(message),
    renderer: (command) => {
      const r = new RecordingRenderer(command);
      renderers.push(r);
      return r;
    },
    source: () => {
      const s = new ScriptedSource(SPEC.url);
      sources.push(s);
      return s;
    },
  });
  let nextId = 1;
  /** A command from the page (ids from 1, as the client numbers them). */
  const page = (body: Record<string, unknown>): number => {
    const id = nextId++;
    session.command({ ...body, id } as WorkerCommand);
    return id;
  };
  const render = (id: number): void =>
    session.command({
      type: 'render',
      id,
      options: { targetLatency: 0 },
      output: { kind: 'track', frames: new WritableStream<VideoFrame>() },
      events: new MessageChannel().port2,
    });
  /** Frames (presentation times) the page was sent as source outputs, and their init segments. */
  const pageGot = () => {
    const frames: number[] = [];
    let inits = 0;
    let durations = new Set<number>();
    for (const m of posted) {
      if (m.type !== 'source-outputs') continue;
      for (const out of m.outputs) {
        if (out.type === 'init') inits++;
        if (out.type === 'media') {
          for (const s of out.samples) frames.push(s.pts);
          durations = new Set([
            ...durations,
            Math.round((out.duration / out.frames / out.timescale) * 1000),
          ]);
        }
      }
    }
    return { frames, inits, durations: [...durations] };
  };
  /** The page's own `render` (a track it made). */
  const pageRender = (): void => render(nextId++);
  const answers = () => posted.filter((m) => m.type === 'outputs' || m.type === 'error');
  /** The early session as the page's first script starts it: its source, and its `render`. */
  const startEarly = (): ScriptedSource => {
    session.startEarly({ source: SPEC });
    render(EARLY_COMMAND_ID);
    const source = sources.at(-1);
    if (!source?.sink) throw new Error('the early source did not start');
    return source;
  };
  return {
    session,
    sources,
    renderers,
    posted,
    page,
    render,
    pageRender,
    pageGot,
    answers,
    startEarly,
  };
}

/** Lets the service's promise chain run. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('WorkerSession: the early session', () => {
  beforeEach(() => {
    // The service checks for WebCodecs before a `render`; the renderer here is a recording one.
    vi.stubGlobal('VideoDecoder', class {});
  });
  afterEach(() => vi.unstubAllGlobals());

  it('transmuxes and shows a live connection at once; a page playing it the same way takes it over with nothing lost or repeated', async () => {
    const t = setup();
    const source = t.startEarly();
    await source.sink!.connected(LIVE);
    for (const au of AUS.slice(0, 5)) await source.sink!.data(au, true);
    await settle();
    // Before any command of the page: the early renderer has the first five frames, the page nothing.
    const early = t.renderers[0]!;
    expect(early.inits).toBe(1);
    expect(early.frames).toHaveLength(5);
    expect(t.posted).toEqual([]);

    // The page: the same source, the same options, the early track, ready.
    t.page({ type: 'source-open', spec: SPEC });
    expect(t.posted.at(-1)).toMatchObject({ type: 'source-event', event: { type: 'connected' } });
    t.page({ type: 'configure', options: playbackTransmuxerOptions(true) });
    t.page({ type: 'render-adopt' });
    for (const au of AUS.slice(5, 8)) await source.sink!.data(au, true);
    t.page({ type: 'source-ready' });
    for (const au of AUS.slice(8, 10)) await source.sink!.data(au, true);
    await settle();

    expect(t.answers().map((a) => a.type)).toEqual(['outputs', 'outputs', 'outputs', 'outputs']);
    expect(early.closed).toBe(false);
    expect(t.renderers).toHaveLength(1);
    // One transmuxer all along: ten frames in order, shown once each and sent to the page once each.
    const got = t.pageGot();
    expect(got.inits).toBe(1);
    expect(got.frames).toHaveLength(10);
    expect(got.frames).toEqual([...got.frames].sort((a, b) => a - b));
    expect(early.frames).toEqual(got.frames);
  });

  it('render-stop closes the renderer in order: frames before it shown, those after sent to the page only', async () => {
    const t = setup();
    const source = t.startEarly();
    await source.sink!.connected(LIVE);
    t.page({ type: 'source-open', spec: SPEC });
    t.page({ type: 'configure', options: playbackTransmuxerOptions(true) });
    t.page({ type: 'render-adopt' });
    t.page({ type: 'source-ready' });
    for (const au of AUS.slice(0, 4)) await source.sink!.data(au, true);
    // The page moves the stream to MSE (src/play/player.ts moveToMse).
    t.page({ type: 'render-stop' });
    for (const au of AUS.slice(4, 8)) await source.sink!.data(au, true);
    await settle();
    const renderer = t.renderers[0]!;
    expect(renderer.closed).toBe(true);
    expect(renderer.frames).toHaveLength(4);
    expect(t.pageGot().frames).toHaveLength(8);
    expect(t.answers().at(-1)).toMatchObject({ type: 'outputs' });
  });

  it('a page with other options (an fps) gets the stream from its first frame at its rate, and its own renderer', async () => {
    const t = setup();
    const source = t.startEarly();
    await source.sink!.connected(LIVE);
    for (const au of AUS.slice(0, 4)) await source.sink!.data(au, true);
    await settle();
    expect(t.renderers[0]!.frames).toHaveLength(4);

    t.page({ type: 'source-open', spec: SPEC });
    t.page({ type: 'configure', options: playbackTransmuxerOptions(true, 25) });
    t.pageRender();
    for (const au of AUS.slice(4, 6)) await source.sink!.data(au, true);
    t.page({ type: 'source-ready' });
    await settle();

    const [early, own] = t.renderers;
    expect(early!.closed).toBe(true);
    // The page's transmuxer saw the connection's bytes from the first: six frames, 40 ms each.
    const got = t.pageGot();
    expect(got.inits).toBe(1);
    expect(got.frames).toHaveLength(6);
    expect(got.durations).toEqual([40]);
    expect(own!.frames).toEqual(got.frames);
  });

  it("a server that times the stream (a relay's --fps) is played at its rate at once, and the page taking it at that rate keeps the session", async () => {
    const t = setup();
    const source = t.startEarly();
    await source.sink!.connected({ ...LIVE, streamFps: 25 });
    for (const au of AUS.slice(0, 4)) await source.sink!.data(au, true);
    await settle();
    const early = t.renderers[0]!;
    expect(early.frames).toHaveLength(4);

    // The page (src/play/player.ts onConnected) asks for the server's rate: the same transmuxer.
    t.page({ type: 'source-open', spec: SPEC });
    t.page({ type: 'configure', options: playbackTransmuxerOptions(true, 25) });
    t.page({ type: 'render-adopt' });
    t.page({ type: 'source-ready' });
    for (const au of AUS.slice(4, 6)) await source.sink!.data(au, true);
    await settle();
    expect(early.closed).toBe(false);
    expect(t.renderers).toHaveLength(1);
    const got = t.pageGot();
    expect(got.inits).toBe(1);
    expect(got.frames).toHaveLength(6);
    // Timed at 25 fps from the first frame, not at the assumed 30.
    expect(got.durations).toEqual([40]);
  });

  it('a page that takes the source before it connects plays it as it would have (bytes wait for its source-ready)', async () => {
    const t = setup();
    const source = t.startEarly();
    t.page({ type: 'source-open', spec: SPEC });
    await source.sink!.connected(LIVE);
    expect(t.posted.at(-1)).toMatchObject({ type: 'source-event', event: { type: 'connected' } });
    for (const au of AUS.slice(0, 3)) await source.sink!.data(au, true);
    await settle();
    expect(t.renderers[0]!.frames).toEqual([]);
    t.page({ type: 'configure', options: playbackTransmuxerOptions(true) });
    t.page({ type: 'render-adopt' });
    t.page({ type: 'source-ready' });
    await settle();
    expect(t.answers().map((a) => a.type)).toEqual(['outputs', 'outputs', 'outputs', 'outputs']);
    expect(t.renderers).toHaveLength(1);
    expect(t.renderers[0]!.frames).toHaveLength(3);
    expect(t.pageGot().frames).toHaveLength(3);
  });

  it("a page that takes the source before it connects to a relay with --fps keeps the early renderer (configured at the relay's rate)", async () => {
    // Measured in Chromium (live.spec.ts, a page opening a relay's /stream.h264 itself, 4 of 16 runs):
    // the connection came after the page's source-open, so its event went to the page only, which
    // configured at the relay's 25 fps; the session compared that with its defaults (no rate yet),
    // ended and closed its renderer, and the page's render-adopt failed: "Playback error: The early
    // renderer is gone: nothing to adopt".
    const t = setup();
    const source = t.startEarly();
    t.page({ type: 'source-open', spec: SPEC });
    await source.sink!.connected({ ...LIVE, streamFps: 25 });
    for (const au of AUS.slice(0, 3)) await source.sink!.data(au, true);
    t.page({ type: 'configure', options: playbackTransmuxerOptions(true, 25) });
    t.page({ type: 'render-adopt' });
    t.page({ type: 'source-ready' });
    await settle();
    expect(t.answers().map((a) => a.type)).toEqual(['outputs', 'outputs', 'outputs', 'outputs']);
    expect(t.renderers).toHaveLength(1);
    expect(t.renderers[0]!.closed).toBe(false);
    expect(t.renderers[0]!.frames).toHaveLength(3);
    expect(t.pageGot().durations).toEqual([40]);
  });

  it('a page that takes the source before it connects and does not adopt: the early renderer closes at its source-ready', async () => {
    const t = setup();
    const source = t.startEarly();
    t.page({ type: 'source-open', spec: SPEC });
    await source.sink!.connected(LIVE);
    t.page({ type: 'configure', options: playbackTransmuxerOptions(true, 50) });
    t.pageRender();
    t.page({ type: 'source-ready' });
    for (const au of AUS.slice(0, 3)) await source.sink!.data(au, true);
    await settle();
    expect(t.renderers).toHaveLength(2);
    expect(t.renderers[0]!.closed).toBe(true);
    expect(t.renderers[1]!.frames).toHaveLength(3);
    expect(t.pageGot().durations).toEqual([20]);
  });

  it('a page reading another source closes the early source and renderer; adopting then fails with a code', async () => {
    const t = setup();
    const source = t.startEarly();
    await source.sink!.connected(LIVE);
    await source.sink!.data(AUS[0]!, true);
    t.page({ type: 'source-open', spec: { ...SPEC, url: 'ws://camera/other' } });
    await settle();
    expect(source.stopped).toBe(true);
    expect(t.renderers[0]!.closed).toBe(true);
    t.page({ type: 'render-adopt' });
    await settle();
    expect(t.answers().at(-1)).toMatchObject({ type: 'error', error: { code: 'NO_RENDERER' } });
  });

  it('holds bounded outputs while no page comes', async () => {
    const t = setup();
    const source = t.startEarly();
    await source.sink!.connected(LIVE);
    let sent = 0;
    for (let loop = 0; sent < 3 * MAX_HELD_BYTES; loop++) {
      for (const au of AUS) {
        await source.sink!.data(au.slice(), true);
        sent += au.byteLength;
      }
      await settle();
    }
    t.page({ type: 'source-open', spec: SPEC });
    t.page({ type: 'configure', options: playbackTransmuxerOptions(true) });
    t.page({ type: 'render-adopt' });
    t.page({ type: 'source-ready' });
    await settle();
    let held = 0;
    for (const m of t.posted) {
      if (m.type !== 'source-outputs') continue;
      for (const out of m.outputs)
        if (out.type === 'init' || out.type === 'media') held += out.data.byteLength;
    }
    expect(held).toBeGreaterThan(0);
    expect(held).toBeLessThanOrEqual(MAX_HELD_BYTES);
    // The page's outputs start with an init segment (what it needs to read the rest).
    const first = t.posted.find((m) => m.type === 'source-outputs');
    expect(first?.type === 'source-outputs' && first.outputs[0]?.type).toBe('init');
  });
});
