// What the relay benchmarks share (bench/serve.mjs, bench/soak.mjs): a 1080p30 clip made with
// ffmpeg/libx264 at run time, `h264mux serve` as a child process (the built bin), its /status, and
// viewers whose every byte goes through the core's AccessUnitReader as it arrives.
import { spawn, spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { get } from 'node:http';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { WebSocket } from 'ws';
import { ensureLibBuilt, LIB_CLI, LIB_CORE } from '../scripts/lib-build.mjs';

ensureLibBuilt({ log: console.log });
const { AccessUnitReader } = await import(pathToFileURL(LIB_CORE).href);

/**
 * A 1920x1080 30 fps H.264 clip (ffmpeg testsrc2, libx264 ultrafast, a keyframe every `keyint`
 * frames with SPS/PPS repeated, no B-frames: a camera's stream). Returns its path.
 */
export function makeClip(dir, { seconds = 10, keyint = 30, bitrate = '4M' } = {}) {
  const clip = join(dir, `clip1080p30-${seconds}s.h264`);
  console.log(
    `generating a ${seconds} s 1920x1080 30 fps ${bitrate}bit/s clip (ffmpeg testsrc2, keyint ${keyint})...`,
  );
  const gen = spawnSync('ffmpeg', [
    ...['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi'],
    ...['-i', `testsrc2=size=1920x1080:rate=30:duration=${seconds}`],
    ...['-c:v', 'libx264', '-profile:v', 'main', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p'],
    ...[
      '-x264-params',
      `keyint=${keyint}:min-keyint=${keyint}:scenecut=0:bframes=0:repeat-headers=1`,
    ],
    ...['-b:v', bitrate, '-maxrate', bitrate, '-bufsize', '2M', '-f', 'h264', clip],
  ]);
  if (gen.status !== 0) throw new Error(`ffmpeg failed: ${gen.stderr.toString()}`);
  const size = statSync(clip).size;
  console.log(
    `clip: ${(size / 1e6).toFixed(2)} MB (${((size * 8) / seconds / 1e6).toFixed(2)} Mbit/s)`,
  );
  return clip;
}

/** `h264mux serve …args --host 127.0.0.1 --port 0` as a child process; resolves once it listens. */
export function startRelay(args) {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [LIB_CLI, 'serve', ...args, '--host', '127.0.0.1', '--port', '0'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    child.stdout.on('data', (b) => {
      out += b.toString();
      const m = /open http:\/\/127\.0\.0\.1:(\d+)\//.exec(out);
      if (m) resolve({ child, port: Number(m[1]) });
    });
    child.stderr.on('data', (b) => process.stderr.write(`[relay] ${b}`));
    child.on('exit', (c) => reject(new Error(`relay exited with ${c}`)));
  });
}

/** Stops a relay child and waits for it. */
export async function stopRelay(child) {
  child.kill('SIGTERM');
  if (child.exitCode === null) await new Promise((r) => child.once('exit', r));
}

export async function relayStatus(port) {
  const res = await fetch(`http://127.0.0.1:${port}/status`);
  return res.json();
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A slow viewer's reading rate (bytes/s): 1 Mbit/s. */
export const SLOW_RATE = 125_000;

/** Where the last whole access unit of a stream ends (a stream cut inside a frame loses that frame). */
export function wholeAccessUnitsEnd(bytes) {
  const reader = new AccessUnitReader();
  const last = [...reader.push(bytes), ...reader.flush()].at(-1);
  return last ? last.offset + last.size : 0;
}

/** The whole access units of a stream (their bytes), with the core's AccessUnitReader. */
export function accessUnits(bytes) {
  const reader = new AccessUnitReader();
  return [...reader.push(bytes), ...reader.flush()].map((au) => au.data);
}

export function percentile(xs, p) {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
}

/**
 * One viewer ('http': /stream.h264, 'ws': /stream with access-unit framing), checking its stream with
 * the core as it arrives: it must start with SPS/PPS and a keyframe, every byte must belong to a whole
 * access unit (or be a zero byte between two), and each WebSocket message must be exactly one access
 * unit. `keep` keeps every byte (for a decode with ffmpeg at the end). `slow` reads at SLOW_RATE (a
 * phone on a bad link, slower than the stream): the relay must skip it to keyframes, bounded.
 */
export function viewer(kind, port, { keep = false, slow = false } = {}) {
  const v = {
    kind,
    slow,
    t0: performance.now(),
    ttfk: NaN,
    bytes: 0,
    aus: 0,
    keyframes: 0,
    startsAtKeyframe: undefined,
    paramSetsFirst: undefined,
    badMessages: 0,
    /** Non-zero bytes outside any whole access unit (a cut NAL, junk). */
    strayBytes: 0,
    kept: keep ? [] : undefined,
    error: undefined,
    closedByRelay: false,
    close: () => undefined,
  };
  const reader = new AccessUnitReader();
  let covered = 0; // stream position up to which bytes are accounted for
  let received = [];
  let receivedFrom = 0;
  const account = (aus) => {
    for (const au of aus) {
      if (v.aus === 0) {
        v.startsAtKeyframe = au.keyframe;
        v.ttfk = performance.now() - v.t0;
      }
      v.aus++;
      if (au.keyframe) v.keyframes++;
      v.strayBytes += nonZero(received, receivedFrom, covered, au.offset);
      covered = au.offset + au.size;
    }
    // Drop what is accounted for.
    while (received.length > 0 && receivedFrom + received[0].length <= covered) {
      receivedFrom += received[0].length;
      received.shift();
    }
  };
  const firstBytes = (b) => {
    if (v.paramSetsFirst !== undefined) return;
    // The first NAL after an optional access unit delimiter: an SPS (7).
    let i = b[2] === 1 ? 3 : 4;
    if ((b[i] & 0x1f) === 9) {
      while (i < b.length && !(b[i] === 1 && b[i - 1] === 0 && b[i - 2] === 0)) i++;
      i++;
    }
    v.paramSetsFirst = (b[i] & 0x1f) === 7;
  };
  let stream; // the socket to throttle when slow
  let readUntil = 0; // a slow viewer has "read" what it got by then
  let resumeTimer;
  const throttle = (size) => {
    const now = performance.now();
    readUntil = Math.max(readUntil, now) + (size / SLOW_RATE) * 1000;
    if (resumeTimer || !stream) return;
    stream.pause();
    const tick = () => {
      const wait = readUntil - performance.now();
      if (wait > 2) resumeTimer = setTimeout(tick, wait);
      else {
        resumeTimer = undefined;
        stream.resume();
      }
    };
    resumeTimer = setTimeout(tick, readUntil - now);
  };
  const onBytes = (b, wholeAu) => {
    if (slow) throttle(b.length);
    firstBytes(b);
    v.bytes += b.length;
    v.kept?.push(b);
    received.push(b);
    const aus = reader.push(b, wholeAu);
    if (wholeAu && aus.length !== 1) v.badMessages++;
    account(aus);
  };
  try {
    if (kind === 'http') {
      const req = get(`http://127.0.0.1:${port}/stream.h264`, (res) => {
        res.on('data', (b) => onBytes(b, false));
        res.on('end', () => (v.closedByRelay = true));
        res.on('error', () => undefined);
        stream = res;
      });
      req.on('error', (e) => (v.error ??= e.message));
      v.close = () => req.destroy();
    } else {
      const ws = new WebSocket(`ws://127.0.0.1:${port}/stream`, { perMessageDeflate: false });
      ws.on('message', (b, isBinary) => {
        if (isBinary) onBytes(b, true);
      });
      ws.on('close', () => (v.closedByRelay ||= !v.leaving));
      ws.on('error', (e) => (v.error ??= e.message));
      stream = ws;
      v.close = () => {
        v.leaving = true;
        ws.terminate();
      };
    }
  } catch (e) {
    v.error = String(e);
  }
  v.valid = () =>
    !v.error &&
    v.badMessages === 0 &&
    v.strayBytes === 0 &&
    v.startsAtKeyframe === true &&
    v.paramSetsFirst === true &&
    v.aus > 0;
  return v;
}

/** Non-zero bytes in [from, to) of the received chunks (which start at `base`). */
function nonZero(chunks, base, from, to) {
  let n = 0;
  let at = base;
  for (const c of chunks) {
    const a = Math.max(from, at);
    const b = Math.min(to, at + c.length);
    for (let i = a; i < b; i++) if (c[i - at] !== 0) n++;
    at += c.length;
    if (at >= to) break;
  }
  return n;
}
