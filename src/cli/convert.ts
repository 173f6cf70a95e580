import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  H264MuxError,
  progressiveHeader,
  SampleTable,
  segmentPayloadParts,
  Transmuxer,
  type FragmentMode,
  type InitSegment,
  type StreamInfo,
  type TransmuxerOutput,
} from '../core/index.js';
import { oneOf, parseCommandArgs, parseFps } from './args.js';
import { UsageError } from './errors.js';
import { Interrupt } from './interrupt.js';
import { ArrivalRate } from './rate-check.js';
import { checkPaths, ChunkPool, openInput, Output, readSize } from './io.js';

const FRAGMENT_MODES = ['gop', 'frame'] as const satisfies readonly FragmentMode[];

export const CONVERT_HELP = `Usage: h264mux convert <in.h264|-> -o <out.mp4|-> [options]

Converts a raw H.264 Annex-B stream to fragmented MP4, streaming (stdin/stdout with -).

Options:
  -o, --output <file|->   output file, or - for stdout (required; not a terminal)
  -y, --overwrite         overwrite the output file if it exists (without -y an existing file is refused)
  -n, --no-overwrite      never overwrite: exit with status 1 if the output file exists (the default)
  --fps <rate>            frame rate when the stream has none or it is wrong (e.g. 30, 29.97, 30000/1001)
  --fragment gop|frame    one fragment per GOP (default, files) or per frame (live, lowest latency)
  --faststart             classic MP4 instead of fragmented: one moov with full sample tables before
                          the mdat, for editors and players that dislike fragmented files
  --low-latency           live pipes: when the stream does not declare how far its frames are
                          reordered (no VUI bitstream_restriction), pass frames on at once instead of
                          holding up to 16; should B-frames appear, output restarts at a keyframe
  -q, --quiet             no progress line, no warnings

Example (replaces ffmpeg -movflags frag_keyframe+empty_moov):
  cat video.h264 | h264mux convert - -o - > video.mp4
`;

const CONVERT_OPTIONS = {
  output: { type: 'string', short: 'o' },
  overwrite: { type: 'boolean', short: 'y' },
  'no-overwrite': { type: 'boolean', short: 'n' },
  fps: { type: 'string' },
  fragment: { type: 'string' },
  faststart: { type: 'boolean' },
  'low-latency': { type: 'boolean' },
  quiet: { type: 'boolean', short: 'q' },
  help: { type: 'boolean', short: 'h' },
} as const;

export async function runConvert(argv: readonly string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, CONVERT_OPTIONS);
  if (values.help) {
    process.stdout.write(CONVERT_HELP);
    return 0;
  }
  const [input, extra] = positionals;
  const output = values.output;
  if (!input) throw new UsageError('convert needs an input file (or - for stdin)');
  if (!output) throw new UsageError('convert needs -o <out.mp4> (or -o - for stdout)');
  if (extra !== undefined) throw new UsageError(`unexpected argument ${extra}`);
  if (values.overwrite && values['no-overwrite'])
    throw new UsageError('-y (overwrite) and -n (never overwrite) contradict each other');
  if (output === '-' && process.stdout.isTTY)
    throw new UsageError(
      'not writing binary MP4 to a terminal: redirect it (-o - > out.mp4), pipe it (-o - | ffplay -), or name a file',
    );
  const fragment =
    values.fragment === undefined ? 'gop' : oneOf(values.fragment, '--fragment', FRAGMENT_MODES);
  const quiet = values.quiet === true;
  const fps = values.fps === undefined ? undefined : parseFps(values.fps);
  const faststart = values.faststart === true;
  const lowLatency = values['low-latency'] === true;
  if (faststart && values.fragment !== undefined)
    throw new UsageError('--faststart writes no fragments: drop --fragment');
  if (faststart && lowLatency)
    throw new UsageError('--low-latency is for live fragmented output, not --faststart');
  // A missing input or an existing output fails here, before any output exists.
  const paths = await checkPaths(input, output, {
    yes: values.overwrite === true,
    never: values['no-overwrite'] === true,
  });
  const interrupt = new Interrupt();
  try {
    if (faststart)
      return await convertFaststart(input, output, interrupt, {
        ...(fps !== undefined ? { fps } : {}),
        quiet,
        create: paths.createOutput,
        rereadable: paths.inputIsFile,
      });
    return await convertFragmented(input, output, interrupt, {
      ...(fps !== undefined ? { fps } : {}),
      quiet,
      create: paths.createOutput,
      total: paths.inputSize,
      fragment,
      lowLatency,
      live: !paths.inputIsFile,
    });
  } finally {
    interrupt.dispose();
  }
}

/** A live input's frames came off the rate `output` is timed by: says which --fps keeps time. */
function tellArrival(
  arrival: ArrivalRate | undefined,
  output: string,
  info: StreamInfo | undefined,
): void {
  const advice = info && arrival?.advice(output === '-' ? 'the output' : output, info);
  if (advice) process.stderr.write(`warning: ${advice}\n`);
}

/** What the command says when a signal ended its input: the output holds every whole frame read. */
function interrupted(interrupt: Interrupt, output: string, quiet: boolean): number {
  if (!quiet)
    process.stderr.write(
      `h264mux: ${interrupt.signal ?? 'a signal'}: the input ends here; ${output === '-' ? 'the output' : output} holds every whole frame read before it\n`,
    );
  return interrupt.exitCode ?? 1;
}

async function convertFragmented(
  input: string,
  output: string,
  interrupt: Interrupt,
  options: {
    fps?: number;
    quiet: boolean;
    create: boolean;
    total: number | undefined;
    fragment: FragmentMode;
    lowLatency: boolean;
    /** A pipe, a FIFO or stdin: how fast its frames came is measured (ArrivalRate). */
    live: boolean;
  },
): Promise<number> {
  const { fps, quiet, total, fragment, lowLatency } = options;
  const arrival = options.live ? new ArrivalRate() : undefined;
  const create = { create: options.create };
  const showProgress = !quiet && output !== '-' && process.stderr.isTTY && total !== undefined;
  const transmuxer = new Transmuxer({
    ...(fps !== undefined ? { fps } : {}),
    fragment,
    parameterSetChanges: 'in-band',
    segmentParts: true,
    lowLatency,
  });
  let frames = 0;
  await Output.write(output, create, async (sink) => {
    // Input chunks go back to the pool once the transmuxer no longer references them and their bytes are written.
    const pool = sink.ownsWrites ? new ChunkPool(readSize()) : undefined;
    const held: { chunk: Uint8Array; end: number }[] = [];
    let bytesIn = 0;
    let lastProgress = 0;
    const emit = async (outputs: TransmuxerOutput[]): Promise<void> => {
      for (const out of outputs) {
        if (out.type === 'init' || out.type === 'media') {
          if (out.type === 'media') frames += out.frames;
          await sink.write(out.type === 'media' && out.parts ? out.parts : [out.data]);
        } else if (out.type === 'warning' && !quiet) {
          process.stderr.write(`${showProgress ? '\r\x1b[K' : ''}warning: ${out.message}\n`);
        }
      }
    };
    for await (const chunk of interrupt.until(openInput(input, pool))) {
      bytesIn += chunk.length;
      await emit(transmuxer.push(chunk));
      arrival?.count(transmuxer.framesIn, performance.now());
      if (pool) {
        held.push({ chunk, end: bytesIn });
        const from = transmuxer.retainedFrom;
        const done: Uint8Array[] = [];
        while (held[0] && held[0].end <= from)
          done.push((held.shift() as { chunk: Uint8Array }).chunk);
        if (done.length > 0) sink.afterWrites(() => done.forEach((c) => pool.give(c)));
      }
      if (showProgress && Date.now() - lastProgress > 200) {
        lastProgress = Date.now();
        const pct = ((100 * bytesIn) / (total || 1)).toFixed(0);
        process.stderr.write(
          `\r\x1b[Kconverting: ${pct}% (${(bytesIn / 1e6).toFixed(1)} MB, ${frames} frames)`,
        );
      }
    }
    await emit(transmuxer.flush());
  });
  if (showProgress) process.stderr.write('\r\x1b[K');
  const info = transmuxer.info;
  if (!quiet) tellArrival(arrival, output, info);
  if (interrupt.signal) return interrupted(interrupt, output, quiet);
  if (!quiet && output !== '-' && info) {
    process.stderr.write(
      `${output}: ${frames} frames, ${info.width}x${info.height} ${info.codec}, ${info.fps.toFixed(3).replace(/\.?0+$/, '')} fps (${info.fpsSource})\n`,
    );
  }
  return 0;
}

/**
 * Classic MP4 with moov before mdat. A regular file is read twice (first the sample table, then the media, up
 * to where the first pass stopped); stdin, a pipe or a device is spooled to a temporary file of media payload.
 * Memory holds the sample table only.
 */
async function convertFaststart(
  input: string,
  output: string,
  interrupt: Interrupt,
  options: { fps?: number; quiet: boolean; create: boolean; rereadable: boolean },
): Promise<number> {
  const make = (): Transmuxer =>
    new Transmuxer({
      ...(options.fps !== undefined ? { fps: options.fps } : {}),
      parameterSetChanges: 'in-band',
      segmentParts: true,
    });
  const table = new SampleTable();
  let init: InitSegment | undefined;
  const arrival = options.rereadable ? undefined : new ArrivalRate();
  let spool: { path: string; out: Output; dir: string } | undefined;
  if (!options.rereadable) {
    const dir = await mkdtemp(join(tmpdir(), 'h264mux-'));
    const path = join(dir, 'mdat.bin');
    spool = { path, out: Output.open(path), dir };
  }
  const collect = async (outputs: TransmuxerOutput[]): Promise<void> => {
    for (const out of outputs) {
      if (out.type === 'init') init ??= out;
      else if (out.type === 'media') {
        table.add(out);
        if (spool) await spool.out.write(segmentPayloadParts(out));
      } else if (out.type === 'warning' && !options.quiet)
        process.stderr.write(`warning: ${out.message}\n`);
    }
  };
  try {
    const first = make();
    let read = 0;
    for await (const chunk of interrupt.until(openInput(input))) {
      read += chunk.length;
      await collect(first.push(chunk));
      arrival?.count(first.framesIn, performance.now());
    }
    await collect(first.flush());
    if (spool) await spool.out.close();
    if (!init) throw new Error('internal: no init segment');
    const header = progressiveHeader(init, table);
    await Output.write(output, { create: options.create }, async (sink) => {
      await sink.write([header]);
      if (spool) {
        for await (const chunk of openInput(spool.path)) await sink.write([chunk]);
      } else {
        // Second pass: the transmuxer is deterministic, so the media comes out exactly as counted.
        const second = make();
        let written = 0;
        const write = async (outputs: TransmuxerOutput[]): Promise<void> => {
          for (const out of outputs) {
            if (out.type !== 'media') continue;
            const payload = segmentPayloadParts(out);
            for (const p of payload) written += p.length;
            await sink.write(payload);
          }
        };
        // The same bytes give the same output, whatever the chunks: the first pass's, no more.
        let left = read;
        for await (const chunk of openInput(input)) {
          const part = chunk.length <= left ? chunk : chunk.subarray(0, left);
          left -= part.length;
          await write(second.push(part));
          if (left === 0) break;
        }
        await write(second.flush());
        if (written !== table.payloadBytes)
          throw new Error(`${input} changed while it was being converted`);
      }
    });
  } finally {
    if (spool) await rm(spool.dir, { recursive: true, force: true });
  }
  if (!options.quiet) tellArrival(arrival, output, init?.info);
  if (interrupt.signal) return interrupted(interrupt, output, options.quiet);
  if (!options.quiet && output !== '-') {
    process.stderr.write(`${output}: ${table.count} frames, faststart MP4 (moov before mdat)\n`);
  }
  return 0;
}

export { H264MuxError };
