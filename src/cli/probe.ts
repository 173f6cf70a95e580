import {
  isH264MuxError,
  Transmuxer,
  type SampleInfo,
  type StreamInfo,
  type TransmuxerOutput,
} from '../core/index.js';
import { parseCommandArgs, parseFps } from './args.js';
import { describeSystemError, isSystemError, UsageError } from './errors.js';
import { Interrupt, type InterruptSignal } from './interrupt.js';
import { isRegularFile, openInput, Output } from './io.js';
import { ArrivalRate } from './rate-check.js';

export const PROBE_HELP = `Usage: h264mux probe <in.h264|-> [more inputs...] [--json] [--frames] [--fps rate]

Prints what a raw H.264 stream holds: profile, level, codec string, size, frame rate and its source,
B-frames, GOP structure, frame count, duration and bitrate. Several inputs are probed one after the
other, each under its own header line; an input that fails is reported and the others still probed
(exit status 1 if any failed). A live stream (curl ... | h264mux probe -) is read until Ctrl-C, then
reported: what was read so far (exit status 130).

Options:
  --json         machine-readable output: one object per input (an array of them for several inputs).
                 Counts end in "Count" (frameCount, keyframeCount); lists are plural nouns (frames,
                 configurations, warnings)
  --frames       also list every frame (type, size, POC, PTS/DTS, NAL units), in decode order
  --fps <rate>   frame rate to assume when the stream has no timing info (e.g. 25 or 30000/1001)
`;

/** One frame of \`probe --frames\`: the core's SampleInfo with its times in seconds. */
export type ProbedFrame = SampleInfo & { readonly ptsSeconds: number; readonly dtsSeconds: number };

export interface ProbeReport {
  readonly file: string;
  readonly bytes: number;
  /** A signal (Ctrl-C) ended the reading: the report covers the input read before it. */
  readonly interruptedBy?: InterruptSignal;
  /** The stream as it starts: its first configuration (later ones are in `configurations`). */
  readonly stream: StreamInfo | undefined;
  /** Every distinct codec configuration (a parameter-set change adds one). */
  readonly configurations: readonly {
    codec: string;
    width: number;
    height: number;
    firstFrame: number;
  }[];
  readonly frameCount: number;
  readonly keyframeCount: number;
  /** Frames per picture type (IDR, I, P, B...). */
  readonly pictureTypeCounts: Record<string, number>;
  readonly gop: { readonly min: number; readonly max: number; readonly mean: number } | undefined;
  readonly durationSeconds: number;
  readonly bitrateKbps: number;
  readonly warnings: readonly { code: string; message: string }[];
  /**
   * A pipe, FIFO or stdin: the frames a second it came at, when steadily at a camera's pace (see
   * src/cli/rate-check.ts ArrivalRate), and what that means for a recording when it is off the rate the
   * stream is timed by.
   */
  readonly arrival?: { readonly fps: number; readonly advice?: string };
  /** Every frame in decode order (with --frames). */
  readonly frames?: readonly ProbedFrame[];
}

export async function probeInput(
  path: string,
  options: { fps?: number; frames?: boolean; interrupt?: Interrupt } = {},
): Promise<ProbeReport> {
  const transmuxer = new Transmuxer(options.fps !== undefined ? { fps: options.fps } : {});
  let bytes = 0;
  let stream: StreamInfo | undefined;
  const configurations: { codec: string; width: number; height: number; firstFrame: number }[] = [];
  const pictureTypes: Record<string, number> = {};
  const warnings: { code: string; message: string }[] = [];
  const frameList: ProbedFrame[] = [];
  const keyframeIndexes: number[] = [];
  let frames = 0;
  let timescale = 1;
  let frameDuration = 0;
  const take = (outs: TransmuxerOutput[]): void => {
    for (const out of outs) {
      if (out.type === 'init') {
        stream ??= out.info;
        timescale = out.info.timescale;
        frameDuration = out.info.frameDuration;
        configurations.push({
          codec: out.codec,
          width: out.info.width,
          height: out.info.height,
          firstFrame: frames,
        });
      } else if (out.type === 'info') {
        // Updates (e.g. B-frames seen) describe the configuration in force: keep those of the first.
        if (configurations.length <= 1) stream = out.info;
      } else if (out.type === 'warning') {
        warnings.push({ code: out.code, message: out.message });
      } else {
        for (const s of out.samples) {
          pictureTypes[s.pictureType] = (pictureTypes[s.pictureType] ?? 0) + 1;
          if (s.keyframe) keyframeIndexes.push(frames);
          frames++;
          if (options.frames)
            frameList.push({ ...s, ptsSeconds: s.pts / timescale, dtsSeconds: s.dts / timescale });
        }
      }
    }
  };
  const arrival = (await isRegularFile(path)) ? undefined : new ArrivalRate();
  const input = openInput(path);
  for await (const chunk of options.interrupt ? options.interrupt.until(input) : input) {
    bytes += chunk.length;
    take(transmuxer.push(chunk));
    arrival?.count(transmuxer.framesIn, performance.now());
  }
  take(transmuxer.flush());
  if (configurations.length <= 1) stream = transmuxer.info ?? stream;
  const gops = keyframeIndexes.slice(1).map((k, i) => k - (keyframeIndexes[i] as number));
  const durationSeconds = (frames * frameDuration) / timescale;
  const signal = options.interrupt?.signal;
  const arrivalFps = arrival?.rate();
  const advice = stream && arrival?.advice('a recording timed so', stream);
  return {
    file: path,
    bytes,
    ...(signal ? { interruptedBy: signal } : {}),
    stream,
    configurations,
    frameCount: frames,
    keyframeCount: keyframeIndexes.length,
    pictureTypeCounts: pictureTypes,
    gop:
      gops.length > 0
        ? {
            min: Math.min(...gops),
            max: Math.max(...gops),
            mean: gops.reduce((a, b) => a + b, 0) / gops.length,
          }
        : undefined,
    durationSeconds,
    bitrateKbps: durationSeconds > 0 ? (bytes * 8) / durationSeconds / 1000 : 0,
    warnings,
    ...(arrivalFps !== undefined
      ? { arrival: { fps: Math.round(arrivalFps * 100) / 100, ...(advice ? { advice } : {}) } }
      : {}),
    ...(options.frames ? { frames: frameList } : {}),
  };
}

function formatReport(r: ProbeReport): string {
  const s = r.stream;
  const lines = [
    `${r.file}: raw H.264, ${(r.bytes / 1e6).toFixed(2)} MB${r.interruptedBy ? ` (read until ${r.interruptedBy})` : ''}`,
  ];
  if (s) {
    const fps = s.fps.toFixed(3).replace(/\.?0+$/, '');
    lines.push(
      `  codec        ${s.codec} (${s.profile}, level ${s.level})`,
      `  size         ${s.width}x${s.height} (coded ${s.codedWidth}x${s.codedHeight}${s.sarWidth !== s.sarHeight ? `, SAR ${s.sarWidth}:${s.sarHeight}, display ${s.displayWidth}x${s.displayHeight}` : ''})`,
      `  chroma       ${['4:0:0', '4:2:0', '4:2:2', '4:4:4'][s.chromaFormatIdc] ?? '?'}, ${s.bitDepthLuma}-bit${s.interlaced ? ', interlaced' : ''}`,
      `  frame rate   ${fps} fps (${s.fpsSource === 'vui' ? 'from the stream timing info' : s.fpsSource === 'option' ? 'from --fps' : 'assumed: the stream has no timing info'})`,
      `  B-frames     ${s.hasBFrames ? `yes (reorder depth ${s.reorderDepth})` : 'no'}`,
    );
  }
  for (const c of r.configurations.slice(1))
    lines.push(`  change       at frame ${c.firstFrame}: ${c.codec} ${c.width}x${c.height}`);
  const types = Object.entries(r.pictureTypeCounts)
    .map(([t, n]) => `${t} ${n}`)
    .join(', ');
  lines.push(
    `  frames       ${r.frameCount} (${types}), ${r.keyframeCount} keyframe${r.keyframeCount === 1 ? '' : 's'}`,
  );
  if (r.gop)
    lines.push(
      `  GOP          ${r.gop.min === r.gop.max ? `${r.gop.min} frame${r.gop.min === 1 ? '' : 's'}` : `${r.gop.min}-${r.gop.max} frames (mean ${r.gop.mean.toFixed(1)})`}`,
    );
  else if (r.keyframeCount === 1)
    lines.push(`  GOP          one keyframe, then ${r.frameCount - 1} frames`);
  lines.push(
    `  duration     ${r.durationSeconds.toFixed(3)} s, ${r.bitrateKbps.toFixed(0)} kbit/s`,
  );
  if (r.arrival)
    lines.push(
      `  arrival      ${r.arrival.advice ?? `${r.arrival.fps} frames a second, the rate it is timed by`}`,
    );
  for (const w of r.warnings) lines.push(`  warning      ${w.message}`);
  if (r.frames) {
    lines.push(
      '',
      '  #      type  key  size      ref  frame_num  POC    DTS(s)     PTS(s)     NAL units',
    );
    for (const f of r.frames) {
      lines.push(
        `  ${String(f.index).padEnd(6)} ${f.pictureType.padEnd(5)} ${f.keyframe ? (f.recoveryPoint ? 'RP ' : 'yes') : '   '}  ${String(f.size).padEnd(9)} ${f.nalRefIdc}    ${String(f.frameNum).padEnd(10)} ${String(f.poc).padEnd(6)} ${f.dtsSeconds.toFixed(4).padEnd(10)} ${f.ptsSeconds.toFixed(4).padEnd(10)} ${f.nalTypes.join(',')}`,
      );
    }
  }
  return lines.join('\n') + '\n';
}

const PROBE_OPTIONS = {
  json: { type: 'boolean' },
  frames: { type: 'boolean' },
  fps: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

export async function runProbe(argv: readonly string[]): Promise<number> {
  const { values, positionals: inputs } = parseCommandArgs(argv, PROBE_OPTIONS);
  if (values.help) {
    process.stdout.write(PROBE_HELP);
    return 0;
  }
  if (inputs.length === 0) throw new UsageError('probe needs an input file (or - for stdin)');
  if (inputs.filter((i) => i === '-').length > 1)
    throw new UsageError('stdin (-) can be probed only once');
  const fps = values.fps === undefined ? undefined : parseFps(values.fps);
  const reports: ProbeReport[] = [];
  let failed = false;
  const interrupt = new Interrupt();
  try {
    for (const input of inputs) {
      // After Ctrl-C, the inputs not begun are not probed.
      if (interrupt.signal) break;
      try {
        reports.push(
          await probeInput(input, {
            ...(fps !== undefined ? { fps } : {}),
            frames: values.frames === true,
            interrupt,
          }),
        );
      } catch (error) {
        // One input that cannot be read or is not H.264 does not stop the others.
        if (inputs.length === 1) throw error;
        failed = true;
        const reason = isSystemError(error)
          ? describeSystemError(error)
          : isH264MuxError(error)
            ? `${input}: ${error.message} [${error.code}]`
            : `${input}: ${error instanceof Error ? error.message : String(error)}`;
        process.stderr.write(`h264mux: ${reason}\n`);
      }
    }
    const text = values.json
      ? JSON.stringify(inputs.length === 1 ? reports[0] : reports, null, 2) + '\n'
      : reports.map(formatReport).join('\n');
    // Written through Output: a full disk or a closed pipe is an error with an exit status, not a crash.
    await Output.write('-', {}, (sink) => sink.write([Buffer.from(text)]));
    return interrupt.exitCode ?? (failed ? 1 : 0);
  } finally {
    interrupt.dispose();
  }
}
