// The `h264mux` binary as a user runs it: exit codes, messages for the mistakes users make, pipes,
// and probe's figures checked against the corpus manifest (ffmpeg's frame counts).
import { copyFile, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureLibBuilt } from '../../scripts/lib-build.mjs';
import { runCli } from '../helpers/cli.js';
import { fixture, fixturePath, readFixture } from '../helpers/fixtures.js';

let dir = '';
beforeAll(async () => {
  ensureLibBuilt();
  dir = await mkdtemp(join(tmpdir(), 'h264mux-cli-'));
}, 180_000);
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('usage', () => {
  it('--help prints the commands and exits 0; no command is a usage error (2)', async () => {
    const help = await runCli(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout.toString()).toMatch(/h264mux convert .*-o/);
    expect(help.stdout.toString()).toMatch(/h264mux probe/);
    const none = await runCli([]);
    expect(none.code).toBe(2);
    expect(none.stdout.toString()).toMatch(/Usage:/);
  });

  it('an unknown command or a missing -o is a usage error that says what is wrong', async () => {
    const unknown = await runCli(['frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown command "frobnicate"/);
    const noOutput = await runCli(['convert', fixturePath(fixture('p01').name)]);
    expect(noOutput.code).toBe(2);
    expect(noOutput.stderr).toMatch(/needs -o/);
  });
});

describe('convert', () => {
  it('a pipe (stdin to stdout) gives the bytes a file conversion gives', async () => {
    const f = fixture('p03');
    const out = join(dir, 'p03.mp4');
    const file = await runCli(['convert', fixturePath(f.name), '-o', out, '-q']);
    expect(file.code).toBe(0);
    const piped = await runCli(['convert', '-', '-o', '-'], { stdin: readFixture(f.name) });
    expect(piped.code).toBe(0);
    expect(piped.stderr).toBe('');
    expect(Buffer.compare(piped.stdout, await readFile(out))).toBe(0);
  });

  it('a reader that stops early (| head) ends it quietly with the SIGPIPE status', async () => {
    const f = fixture('p04');
    const r = await runCli(['convert', '-', '-o', '-'], {
      stdin: readFixture(f.name),
      closeStdoutAfter: 1000,
    });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(141);
  });

  it('reports frames, size and codec for a file; a truncated stream warns and keeps the whole frames', async () => {
    const f = fixture('p12');
    const out = join(dir, 'p12.mp4');
    const r = await runCli(['convert', fixturePath(f.name), '-o', out]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/warning: dropped the last frame: the stream ends inside it/);
    // ffmpeg's count includes the damaged remains of the cut frame, which we drop.
    expect(r.stderr).toContain(`${out}: ${f.frames - 1} frames, ${f.width}x${f.height} ${f.codec}`);
  });

  it('an MP4 given as H.264 fails with exit 1, says it is MP4 and how to get raw H.264, and leaves no output', async () => {
    const mp4 = join(dir, 'p03.mp4');
    if (!existsSync(mp4))
      await runCli(['convert', fixturePath(fixture('p03').name), '-o', mp4, '-q']);
    const out = join(dir, 'from-mp4.mp4');
    const r = await runCli(['convert', mp4, '-o', out]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/MP4/);
    expect(r.stderr).toMatch(/h264_mp4toannexb/);
    expect(r.stderr).toMatch(/\[NOT_H264\]/);
    expect(existsSync(out)).toBe(false);
  });

  it('random bytes fail with NOT_H264; an empty file says it is empty; neither leaves an output', async () => {
    const noise = join(dir, 'noise.bin');
    // Bytes > 1 only: no start code anywhere, so nothing can pass for H.264.
    await writeFile(
      noise,
      Uint8Array.from({ length: 300_000 }, (_, i) => 2 + ((i * 7919) % 254)),
    );
    const out = join(dir, 'noise.mp4');
    const r = await runCli(['convert', noise, '-o', out]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/not .*H\.264.*\[NOT_H264\]/i);
    expect(existsSync(out)).toBe(false);
    for (const extra of [[], ['--faststart']]) {
      const empty = join(dir, 'empty.h264');
      await writeFile(empty, new Uint8Array(0));
      const e = await runCli(['convert', empty, '-o', out, ...extra]);
      expect(e.code).toBe(1);
      expect(e.stderr).toMatch(/the input is empty/);
      expect(existsSync(out)).toBe(false);
    }
  });

  it('a missing input names the file and creates no output', async () => {
    const out = join(dir, 'never.mp4');
    const r = await runCli(['convert', join(dir, 'nope.h264'), '-o', out]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`h264mux: ${join(dir, 'nope.h264')}: no such file or directory\n`);
    expect(existsSync(out)).toBe(false);
  });

  it('refuses to write over its own input (by another path or a link), which stays intact', async () => {
    const f = fixture('p01');
    const input = join(dir, 'self.h264');
    await copyFile(fixturePath(f.name), input);
    const link = join(dir, 'link.h264');
    await symlink(input, link);
    for (const [output, extra] of [
      [join(dir, '.', 'self.h264'), []],
      [link, ['--faststart']],
    ] as const) {
      const r = await runCli(['convert', input, '-o', output, ...extra]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/is the input file: choose another -o/);
    }
    expect(Buffer.compare(await readFile(input), await readFile(fixturePath(f.name)))).toBe(0);
  });
});

describe('probe', () => {
  // p08: 60 fps VUI; p10: an SPS change; p14: open GOP started at a recovery point.
  for (const name of ['p03', 'p08', 'p10', 'p14']) {
    it(`${name}: --json and the text agree with the manifest`, async () => {
      const f = fixture(name);
      const json = await runCli(['probe', '--json', fixturePath(f.name)]);
      expect(json.code).toBe(0);
      const info = JSON.parse(json.stdout.toString()) as {
        stream: { codec: string; width: number; height: number; fps: number; hasBFrames: boolean };
        frames: number;
        configurations: { width: number; height: number }[];
      };
      expect(info.stream.codec).toBe(f.codec);
      expect(`${info.stream.width}x${info.stream.height}`).toBe(f.sizes[0]);
      expect(info.configurations.map((c) => `${c.width}x${c.height}`)).toEqual(f.sizes);
      expect(info.stream.hasBFrames).toBe(f.hasBFrames);
      if (f.fps !== null) expect(info.stream.fps).toBeCloseTo(f.fps, 3);
      expect(info.frames).toBe(f.frames);
      const text = await runCli(['probe', fixturePath(f.name)]);
      expect(text.code).toBe(0);
      expect(text.stdout.toString()).toContain(`codec        ${f.codec}`);
      expect(text.stdout.toString()).toMatch(new RegExp(`frames +${f.frames} \\(`));
    });
  }
});
