/**
 * The WebCodecs decoder configuration of an init segment: one model for the worker's tail check
 * (src/worker/tail-check.ts) and the WebCodecs renderer (./webcodecs-renderer.ts). `description` is
 * the avcC payload (AVCDecoderConfigurationRecord), so chunks are the samples' length-prefixed NAL
 * units as written to the mdat (WebCodecs AVC registration §3: "avc" format).
 */
import type { InitSegment } from '../core/index.js';

export function decoderConfig(
  init: Pick<InitSegment, 'codec' | 'description' | 'info'>,
  extra: Pick<VideoDecoderConfig, 'hardwareAcceleration' | 'optimizeForLatency'> = {},
): VideoDecoderConfig {
  return {
    codec: init.codec,
    description: init.description,
    codedWidth: init.info.codedWidth,
    codedHeight: init.info.codedHeight,
    ...extra,
  };
}
