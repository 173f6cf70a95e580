// Naming what a non-H.264 input is, from its first bytes: real headers (made by ffmpeg here) are named,
// random bytes are not, whatever their first byte.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SNIFF_BYTES, sniffContainer } from '../../src/core/detect.js';
import { H264MuxError, Transmuxer } from '../../src/core/index.js';
import { runOk } from '../helpers/ffmpeg.js';

/** Seeded bytes (a linear congruential generator: the same on every run). */
function randomBytes(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed >>> 0;
  for (let i = 0; i < length; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

const text = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('random bytes are not named', () => {
  it('20,000 random heads, a third of them starting with { and a third with [', () => {
    const named: string[] = [];
    for (let n = 0; n < 20_000; n++) {
      const head = randomBytes(SNIFF_BYTES, n + 1);
      if (n % 3 === 1) head[0] = 0x7b; // {
      if (n % 3 === 2) head[0] = 0x5b; // [
      const guess = sniffContainer(head);
      if (guess) named.push(`seed ${n + 1}: ${guess}`);
    }
    expect(named).toEqual([]);
  });

  it('short random inputs (all a flush sees: 16 bytes or more) starting with { or [ are not JSON', () => {
    // Under 16 bytes there is too little to tell: "[1" is JSON, and so is a random "[" then "1".
    for (let n = 0; n < 5_000; n++) {
      const head = randomBytes(16 + (n % 64), n + 7);
      head[0] = n % 2 ? 0x7b : 0x5b;
      expect(sniffContainer(head), `seed ${n + 7}`).toBeUndefined();
    }
  });

  it('the transmuxer calls random bytes that start with { not H.264, without a container', () => {
    const bytes = randomBytes(100_000, 42).map((b) => b | 1); // no zero byte: no start code
    bytes[0] = 0x7b;
    const t = new Transmuxer();
    let error: unknown;
    try {
      t.push(bytes);
      t.flush();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(H264MuxError);
    expect((error as H264MuxError).code).toBe('NOT_H264');
    expect((error as H264MuxError).detail.container).toBeUndefined();
    expect((error as H264MuxError).message).not.toMatch(/JSON|URL/);
  });
});

describe('web server responses are named', () => {
  const cases: [string, string][] = [
    ['{"error":"not found","status":404}', 'json'],
    ['[{"id":1,"name":"cam"}]', 'json'],
    ['{\n  "message": "Unauthorized"\n}\n', 'json'],
    ['[]', 'json'],
    ['[1, 2, 3]', 'json'],
    ['{}', 'json'],
    ['\ufeff{"é":"ü"}', 'json'],
    [
      '<!DOCTYPE html>\n<html lang="en"><head><title>Camera</title></head><body></body></html>',
      'html',
    ],
    [
      '<html>\r\n<head><title>404 Not Found</title></head>\r\n<body>\r\n<center><h1>404 Not Found</h1>',
      'html',
    ],
    ['<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code></Error>', 'html'],
  ];
  for (const [body, guess] of cases) {
    it(`${guess}: ${JSON.stringify(body.slice(0, 30))}`, () => {
      const bytes = text(body.repeat(Math.ceil(SNIFF_BYTES / body.length)));
      expect(sniffContainer(bytes.subarray(0, SNIFF_BYTES))).toBe(guess);
      expect(sniffContainer(text(body))).toBe(guess); // a short response, seen whole at flush
    });
  }

  it("MJPEG over HTTP (ffmpeg's mpjpeg, as IP cameras and mjpg-streamer send it) is named, with what to do", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'h264mux-mjpeg-'));
    try {
      const out = join(dir, 'cam.mjpeg');
      await runOk('ffmpeg', [
        ...['-v', 'error', '-f', 'lavfi', '-i', 'testsrc=size=64x48:rate=5', '-t', '1'],
        ...['-f', 'mpjpeg', out],
      ]);
      const bytes = new Uint8Array(await readFile(out));
      expect(sniffContainer(bytes.subarray(0, SNIFF_BYTES))).toBe('mjpeg');
      // mjpg-streamer's boundary and header order.
      const streamer = text(
        '--boundarydonotcross\r\nContent-Type: image/jpeg\r\nContent-Length: 4000\r\nX-Timestamp: 1.0\r\n\r\n',
      );
      expect(sniffContainer(streamer)).toBe('mjpeg');
      // The transmuxer says so at once (it waited for 4 MiB of it, 20-25 s of a camera, then said
      // "does not look like raw H.264").
      expect(() => new Transmuxer().push(bytes.subarray(0, 4096))).toThrow(
        /This is an MJPEG stream .*many cameras also offer an H\.264 stream/,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('plain text is neither', () => {
    expect(sniffContainer(text('404 page not found\n'))).toBeUndefined();
    expect(sniffContainer(text('[INFO] camera started\n'.repeat(20)))).toBeUndefined();
  });
});

describe('real container headers, made by ffmpeg', () => {
  let dir = '';
  // Output file name and ffmpeg output arguments; the input is a tiny test pattern.
  const FILES: [string, string[], string][] = [
    ['a.mp4', ['-c:v', 'libx264', '-f', 'mp4'], 'mp4'],
    ['frag.mp4', ['-c:v', 'libx264', '-movflags', 'frag_keyframe+empty_moov', '-f', 'mp4'], 'mp4'],
    ['a.ts', ['-c:v', 'libx264', '-f', 'mpegts'], 'mpegts'],
    ['a.mkv', ['-c:v', 'libx264', '-f', 'matroska'], 'matroska'],
    ['a.hevc', ['-c:v', 'libx265', '-x265-params', 'log-level=none', '-f', 'hevc'], 'hevc'],
    ['a.flv', ['-c:v', 'flv', '-f', 'flv'], 'flv'],
    ['a.avi', ['-c:v', 'mjpeg', '-f', 'avi'], 'avi'],
    ['a.mpg', ['-c:v', 'mpeg2video', '-f', 'vob'], 'mpeg-ps'],
    ['a.jpg', ['-frames:v', '1', '-c:v', 'mjpeg', '-f', 'image2'], 'image'],
    ['a.png', ['-frames:v', '1', '-c:v', 'png', '-f', 'image2'], 'image'],
    ['a.gif', ['-frames:v', '1', '-f', 'gif'], 'image'],
  ];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'h264mux-detect-'));
    await Promise.all(
      FILES.map(([name, args]) =>
        runOk('ffmpeg', [
          '-hide_banner',
          '-nostdin',
          '-v',
          'error',
          '-f',
          'lavfi',
          '-i',
          'testsrc2=size=160x120:rate=10',
          '-t',
          '0.5',
          '-pix_fmt',
          'yuv420p',
          ...args,
          join(dir, name),
        ]),
      ),
    );
  }, 60_000);
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  for (const [name, , guess] of FILES) {
    it(`${name}: ${guess}, from its first ${SNIFF_BYTES} bytes, also pushed a byte at a time`, async () => {
      const data = new Uint8Array(await readFile(join(dir, name)));
      expect(sniffContainer(data.subarray(0, SNIFF_BYTES))).toBe(guess);
      const t = new Transmuxer();
      let error: unknown;
      try {
        for (let i = 0; i < Math.min(data.length, 4096); i++) t.push(data.subarray(i, i + 1));
        t.flush();
      } catch (e) {
        error = e;
      }
      expect((error as H264MuxError).code).toBe('NOT_H264');
      expect((error as H264MuxError).detail.container).toBe(guess);
    });
  }
});
