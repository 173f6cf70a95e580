/// <reference lib="webworker" />
/**
 * A stream cut mid-NAL ends in a damaged frame, and Chromium's MSE pipeline fails on it
 * (PIPELINE_ERROR_DECODE). The core drops such a frame when its slice walker can judge the last picture; where
 * it cannot (`lastPictureVerdict` 'unknown': data partitioning, slice groups, SP/SI slices), the worker decodes
 * the last fragment with this browser's own decoder (WebCodecs) and drops a final frame that does not decode.
 */
import { keepFirstSamples, samplePayloads } from '../core/index.js';
import type { InitSegment, MediaSegment, Transmuxer, TransmuxerOutput } from '../core/index.js';
import { decoderConfig } from '../player/decoder-config.js';

/** Decodes the samples of `segment` (which starts at a keyframe); true when every one decodes. */
async function decodes(init: InitSegment, segment: MediaSegment, count: number): Promise<boolean> {
  const config = decoderConfig(init, { hardwareAcceleration: 'prefer-software' });
  let failed = false;
  const decoder = new VideoDecoder({
    output: (frame) => frame.close(),
    error: () => {
      failed = true;
    },
  });
  try {
    decoder.configure(config);
    const payloads = samplePayloads(segment.data);
    for (let i = 0; i < count; i++) {
      const sample = segment.samples[i];
      const data = payloads[i];
      if (!sample || !data) break;
      decoder.decode(
        new EncodedVideoChunk({
          type: i === 0 ? 'key' : 'delta',
          timestamp: Math.round((sample.pts * 1e6) / segment.timescale),
          data,
        }),
      );
    }
    await decoder.flush();
  } catch {
    failed = true;
  } finally {
    if (decoder.state !== 'closed') decoder.close();
  }
  return !failed;
}

/**
 * The outputs `transmuxer.flush()` returned (`tail`), checked by decoding only where the core could not judge the
 * stream's last picture. `lastInit` is the init segment handed out before `tail`.
 */
export async function checkedTail(
  transmuxer: Transmuxer,
  tail: TransmuxerOutput[],
  lastInit: InitSegment | undefined,
): Promise<TransmuxerOutput[]> {
  if (transmuxer.lastPictureVerdict !== 'unknown') return tail;
  return dropUndecodableLastFrame(tail, lastInit);
}

/**
 * Checks the final media segment of a file's outputs; when its last frame does not decode but the rest
 * does, replaces the segment with one without that frame and adds a warning. Where WebCodecs is missing
 * or cannot decode this codec, or the segment does not start at a keyframe (it follows a fragment that
 * reached the core's fragment limits, and cannot be decoded alone), the outputs are returned as they are.
 */
async function dropUndecodableLastFrame(
  outputs: readonly TransmuxerOutput[],
  lastInit: InitSegment | undefined,
): Promise<TransmuxerOutput[]> {
  const result = [...outputs];
  let index = -1;
  let init = lastInit;
  for (let i = 0; i < result.length; i++) {
    const out = result[i];
    if (out?.type === 'media') index = i;
  }
  for (let i = 0; i <= index; i++) {
    const out = result[i];
    if (out?.type === 'init') init = out;
  }
  const segment = result[index];
  if (!init || segment?.type !== 'media' || !segment.keyframe) return result;
  if (typeof VideoDecoder === 'undefined') return result;
  try {
    const support = await VideoDecoder.isConfigSupported(
      decoderConfig(init, { hardwareAcceleration: 'prefer-software' }),
    );
    if (!support.supported) return result;
  } catch {
    return result;
  }
  // Samples, not frames: a start picture is a sample of its own (TransmuxerOptions.startPicture).
  const samples = segment.samples.length;
  if (await decodes(init, segment, samples)) return result;
  // Only a damaged final frame is a truncation; anything else is left to the player's error handling.
  if (segment.frames < 2 || !(await decodes(init, segment, samples - 1))) return result;
  const data = keepFirstSamples(segment.data, samples - 1);
  const last = segment.samples[segment.samples.length - 1];
  const kept: MediaSegment = {
    ...segment,
    data,
    frames: segment.frames - 1,
    duration: segment.duration - segment.duration / segment.frames,
    endPts:
      Math.max(...segment.samples.slice(0, -1).map((s) => s.pts)) +
      segment.duration / segment.frames,
    samples: segment.samples.slice(0, -1),
  };
  result[index] = kept;
  result.push({
    type: 'warning',
    code: 'TRUNCATED_FRAME_DROPPED',
    message: `the stream ends in the middle of frame ${last?.index ?? '?'}: dropped that damaged frame, kept every complete one`,
  });
  return result;
}
