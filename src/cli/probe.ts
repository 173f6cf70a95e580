import {
  Transmuxer,
  type SampleInfo,
  type StreamInfo,
  type TransmuxerOutput,
} from '../core/index.js';
import { parseArgs, UsageError } from './args.js';
import { openInput } from './io.js';

export const PROBE_HELP = `Usage: h264mux probe <in.h264|-> [--json] [--frames] [--fps n]

Prints what a raw H.264 stream holds: profile, level, codec string, size, frame rate and its source,
B-frames, GOP structure, frame count, duration and bitrate.

Options:
  --json      machine-readable output
  --frames    also list every frame (type, size, POC, PTS/DTS, NAL units), in decode order
  --fps <n>   frame rate to assume when the stream has no timing info
`;

export interface ProbeReport {
  readonly file: string;
  readonly bytes: number;
  /** The stream as it starts: its first configuration (later ones are in `configurations`). */
  readonly stream: StreamInfo | undefined;
  /** Every distinct codec configuration (a parameter-set change adds one). */
  readonly configurations: readonly {
    codec: string;
    width: number;
    height: number;
    firstFrame: number;
  }[];
  readonly frames: number;
  readonly keyframes: number;
  readonly pictureTypes: Record<string, number>;
  readonly gop: { readonly min: number; readonly max: number; readonly mean: number } | undefined;
  readonly durationSeconds: number;
  readonly bitrateKbps: number;
  readonly warnings: readonly { code: string; message: string }[];
  readonly frameList?: readonly (SampleInfo & { ptsSeconds: number; dtsSeconds: number })[];
}

export async function probeInput(
  path: string,
  options: { fps?: number; frames?: boolean } = {},
): Promise<ProbeReport> {
  const transmuxer = new Transmuxer(options.fps !== undefined ? { fps: options.fps } : {});
  let bytes = 0;
  let stream: StreamInfo | undefined;
  const configurations: { codec: string; width: number; height: number; firstFrame: number }[] = [];
  const pictureTypes: Record<string, number> = {};
  const warnings: { code: string; message: string }[] = [];
  const frameList: (SampleInfo & { ptsSeconds: number; dtsSeconds: number })[] = [];
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
  for await (const chunk of openInput(path)) {
    bytes += chunk.length;
    take(transmuxer.push(chunk));
  }
  take(transmuxer.flush());
  if (configurations.length <= 1) stream = transmuxer.info ?? stream;
  const gops = keyframeIndexes.slice(1).map((k, i) => k - (keyframeIndexes[i] as number));
  const durationSeconds = (frames * frameDuration) / timescale;
  return {
    file: path,
    bytes,
    stream,
    configurations,
    frames,
    keyframes: keyframeIndexes.length,
    pictureTypes,
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
    ...(options.frames ? { frameList } : {}),
  };
}

function formatReport(r: ProbeReport): string {
  const s = r.stream;
  const lines = [`${r.file}: raw H.264, ${(r.bytes / 1e6).toFixed(2)} MB`];
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
  const types = Object.entries(r.pictureTypes)
    .map(([t, n]) => `${t} ${n}`)
    .join(', ');
  lines.push(
    `  frames       ${r.frames} (${types}), ${r.keyframes} keyframe${r.keyframes === 1 ? '' : 's'}`,
  );
  if (r.gop)
    lines.push(
      `  GOP          ${r.gop.min === r.gop.max ? r.gop.min : `${r.gop.min}-${r.gop.max} (mean ${r.gop.mean.toFixed(1)})`} frames`,
    );
  else if (r.keyframes === 1)
    lines.push(`  GOP          one keyframe, then ${r.frames - 1} frames`);
  lines.push(
    `  duration     ${r.durationSeconds.toFixed(3)} s, ${r.bitrateKbps.toFixed(0)} kbit/s`,
  );
  for (const w of r.warnings) lines.push(`  warning      ${w.message}`);
  if (r.frameList) {
    lines.push(
      '',
      '  #      type  key  size      ref  frame_num  POC    DTS(s)     PTS(s)     NAL units',
    );
    for (const f of r.frameList) {
      lines.push(
        `  ${String(f.index).padEnd(6)} ${f.pictureType.padEnd(5)} ${f.keyframe ? (f.recoveryPoint ? 'RP ' : 'yes') : '   '}  ${String(f.size).padEnd(9)} ${f.nalRefIdc}    ${String(f.frameNum).padEnd(10)} ${String(f.poc).padEnd(6)} ${f.dtsSeconds.toFixed(4).padEnd(10)} ${f.ptsSeconds.toFixed(4).padEnd(10)} ${f.nalTypes.join(',')}`,
      );
    }
  }
  return lines.join('\n') + '\n';
}

export async function runProbe(argv: readonly string[]): Promise<number> {
  const args = parseArgs(argv, ['--fps'], ['--json', '--frames', '-h', '--help']);
  if (args.flags.has('-h') || args.flags.has('--help')) {
    process.stdout.write(PROBE_HELP);
    return 0;
  }
  const input = args.positionals[0];
  if (!input) throw new UsageError('probe needs an input file (or - for stdin)');
  const fpsText = args.values.get('--fps');
  const fps = fpsText === undefined ? undefined : Number(fpsText);
  if (fps !== undefined && !(fps > 0))
    throw new UsageError(`--fps must be a positive number, got "${fpsText}"`);
  const report = await probeInput(input, {
    ...(fps !== undefined ? { fps } : {}),
    frames: args.flags.has('--frames'),
  });
  process.stdout.write(
    args.flags.has('--json') ? JSON.stringify(report, null, 2) + '\n' : formatReport(report),
  );
  return 0;
}
