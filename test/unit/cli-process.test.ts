// The `h264mux` binary as a user runs it: exit codes, messages for the mistakes users make, pipes,
// and probe's figures checked against the corpus manifest (ffmpeg's frame counts).
import { copyFile, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSync, closeSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureLibBuilt } from '../../scripts/lib-build.mjs';
import { CLI, runCli } from '../helpers/cli.js';
import { feedByClock } from '../helpers/clock-feed.js';
import { decodeErrors, framemd5, run } from '../helpers/ffmpeg.js';
import { fixture, fixturePath, readFixture } from '../helpers/fixtures.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
let dir = '';
beforeAll(async () => {
  ensureLibBuilt();
  dir = await mkdtemp(join(tmpdir(), 'h264mux-cli-'));
}, 180_000);
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('usage', () => {
  it('--help prints the commands and exits 0; no command prints the usage on stderr with status 2', async () => {
    const help = await runCli(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout.toString()).toMatch(/h264mux convert .*-o/);
    expect(help.stdout.toString()).toMatch(/h264mux probe/);
    const none = await runCli([]);
    expect(none.code).toBe(2);
    expect(none.stdout.length).toBe(0);
    expect(none.stderr).toMatch(/^Usage:/m);
  });

  it('--version and -V print the version of package.json', async () => {
    const { version } = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as {
      version: string;
    };
    for (const flag of ['--version', '-V']) {
      const r = await runCli([flag]);
      expect(r.code, flag).toBe(0);
      expect(r.stdout.toString(), flag).toBe(`${version}\n`);
    }
  });

  it('an unknown command or option, a missing value or -o is a usage error that says what is wrong', async () => {
    const p01 = fixturePath(fixture('p01').name);
    const cases: [string[], RegExp][] = [
      [['frobnicate'], /unknown command "frobnicate"/],
      [['convert', p01], /needs -o/],
      [['convert', p01, '-o', join(dir, 'x.mp4'), '--bogus'], /unknown option --bogus/],
      [['probe', p01, '--fps'], /--fps needs a value/],
      [
        ['convert', p01, '-o', join(dir, 'x.mp4'), '--fragment', 'slice'],
        /--fragment must be gop or frame/,
      ],
      [['convert', p01, '-o', join(dir, 'x.mp4'), '-y', '-n'], /contradict/],
    ];
    for (const [args, message] of cases) {
      const r = await runCli(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toMatch(message);
      expect(r.stderr, args.join(' ')).toContain('Run "h264mux --help" for usage.');
    }
    expect(existsSync(join(dir, 'x.mp4'))).toBe(false);
  });

  it('convert and probe read --fps alike: 30000/1001 is NTSC, anything else a usage error with the same words', async () => {
    const f = fixture('p02'); // no timing in the stream
    const probe = await runCli(['probe', '--json', '--fps', '30000/1001', fixturePath(f.name)]);
    expect(probe.code).toBe(0);
    const report = JSON.parse(probe.stdout.toString()) as {
      stream: { fps: number; fpsSource: string; frameDuration: number; timescale: number };
    };
    expect(report.stream.fpsSource).toBe('option');
    expect(report.stream.timescale / report.stream.frameDuration).toBeCloseTo(30000 / 1001, 9);
    const out = join(dir, 'ntsc.mp4');
    const convert = await runCli([
      'convert',
      fixturePath(f.name),
      '-o',
      out,
      '-q',
      '--fps',
      '30000/1001',
    ]);
    expect(convert.code).toBe(0);
    for (const command of [
      ['probe', fixturePath(f.name)],
      ['convert', fixturePath(f.name), '-o', out, '-y'],
    ]) {
      const bad = await runCli([...command, '--fps', '30/0']);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toMatch(
        /--fps must be a frame rate from 0\.5 to 1000, such as 30, 29\.97 or 30000\/1001; got "30\/0"/,
      );
    }
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

  it('a directory given as input is named as one (convert and probe), and no output is created', async () => {
    const out = join(dir, 'never.mp4');
    const c = await runCli(['convert', dir, '-o', out]);
    expect(c.code).toBe(1);
    // Reading it failed with "illegal operation on a directory", without its name.
    expect(c.stderr).toBe(`h264mux: ${dir} is a directory, not a raw H.264 file\n`);
    expect(existsSync(out)).toBe(false);
    const p = await runCli(['probe', dir]);
    expect(p.code).toBe(1);
    expect(p.stderr).toContain(`${dir} is a directory, not a raw H.264 file`);
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

describe('convert and probe: a live stream piped in, stopped with Ctrl-C', () => {
  /**
   * Starts `h264mux …args` reading a stream that does not end (stdin, or a FIFO when `fifo` is given),
   * writes p01 twice into it and, once the first copy has surely been read (the second is written
   * past the pipe's buffer), sends SIGINT with the stream still open.
   */
  async function interrupted(args: readonly string[], fifo?: string) {
    const { spawn, execFileSync } = await import('node:child_process');
    const { createWriteStream } = await import('node:fs');
    if (fifo) execFileSync('mkfifo', [fifo]);
    const child = spawn(CLI, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const out: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    const sink = fifo ? createWriteStream(fifo) : child.stdin;
    sink.on('error', () => undefined);
    const p01 = readFixture(fixture('p01').name);
    sink.write(p01);
    await new Promise((resolve) => sink.write(p01, resolve));
    const ended = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
      child.on('close', (code, signal) => resolve({ code, signal })),
    );
    child.kill('SIGINT');
    const result = await ended;
    sink.destroy();
    return { ...result, stderr, stdout: Buffer.concat(out).toString() };
  }

  /** The output holds p01 whole, then the start of its second copy, each frame as ffmpeg decodes p01. */
  async function expectWholeFrames(file: string): Promise<void> {
    expect((await decodeErrors(file)).stderr).toBe('');
    const p01 = (await framemd5(fixturePath(fixture('p01').name))).map((f) => f.md5);
    const got = (await framemd5(file)).map((f) => f.md5);
    expect(got.length).toBeGreaterThan(p01.length);
    expect(got).toEqual([...p01, ...p01.slice(0, got.length - p01.length)]);
  }

  for (const layout of ['fragmented', 'faststart'] as const) {
    it(`convert - (${layout}): the first Ctrl-C ends the input; the file holds every whole frame read, status 130`, async () => {
      const file = join(dir, `interrupted-${layout}.mp4`);
      const r = await interrupted([
        'convert',
        '-',
        '-o',
        file,
        ...(layout === 'faststart' ? ['--faststart'] : []),
      ]);
      expect(r).toMatchObject({ code: 130, signal: null });
      expect(r.stderr).toMatch(/SIGINT: the input ends here; .* holds every whole frame read/);
      await expectWholeFrames(file);
    });
  }

  it('a FIFO (or <(curl ...)) is read as a pipe: converted, and Ctrl-C ends it at once though its writer stays', async () => {
    const file = join(dir, 'interrupted-fifo.mp4');
    const r = await interrupted(
      ['convert', join(dir, 'camera.fifo'), '-o', file, '--faststart'],
      join(dir, 'camera.fifo'),
    );
    expect(r).toMatchObject({ code: 130, signal: null });
    await expectWholeFrames(file);
  });

  it('probe - reports what was read before Ctrl-C', async () => {
    const r = await interrupted(['probe', '-', '--json']);
    expect(r.code).toBe(130);
    const report = JSON.parse(r.stdout) as { interruptedBy: string; frameCount: number };
    expect(report.interruptedBy).toBe('SIGINT');
    expect(report.frameCount).toBeGreaterThan(150);
  });
});

describe('convert - of a camera off the rate its stream is timed by', () => {
  it('convert and probe say what --fps to pass (p02, no timing info, sent at 25 frames a second); a file piped whole says nothing', async () => {
    // raspivid and rpicam-vid write no timing: `rpicam-vid --framerate 25 -o - | h264mux convert -`
    // timed at an assumed 30 made a file that ran 1.2 times too fast, without a word.
    const { spawn } = await import('node:child_process');
    const { splitAccessUnits } = await import('../e2e/support/stream-server.mjs');
    const p02 = readFixture(fixture('p02').name);
    const whole = await runCli(['convert', '-', '-o', join(dir, 'p02-whole.mp4')], { stdin: p02 });
    expect(whole.code).toBe(0);
    expect(whole.stderr).not.toMatch(/arrived at/);
    const aus = splitAccessUnits(p02);
    const file = join(dir, 'p02-25fps.mp4');
    const children = [
      spawn(CLI, ['convert', '-', '-o', file], { stdio: ['pipe', 'ignore', 'pipe'] }),
      spawn(CLI, ['probe', '-', '--json'], { stdio: ['pipe', 'pipe', 'pipe'] }),
    ];
    const said = children.map((child) => {
      let text = '';
      child.stderr?.on('data', (b: Buffer) => (text += b.toString()));
      child.stdout?.on('data', (b: Buffer) => (text += b.toString()));
      return new Promise<{ code: number | null; text: string }>((resolve) =>
        child.on('close', (code) => resolve({ code, text })),
      );
    });
    // 6 s of a camera at 25 fps.
    const feed = feedByClock(aus, 25, (data) => {
      for (const child of children) child.stdin?.write(data);
    });
    await new Promise((resolve) => setTimeout(resolve, 6000));
    feed.stop();
    for (const child of children) child.stdin?.end();
    const [converted, probed] = await Promise.all(said);
    expect(converted?.code).toBe(0);
    const advice = (output: string) =>
      `the input arrived at 2[45](\\.\\d+)? frames a second, and has no timing info \\(30 fps assumed\\): ${output} runs fast \\(1\\.2x\\)\\. If that is the camera's rate, convert with --fps 25\\.`;
    expect(converted?.text).toMatch(new RegExp(`warning: ${advice('.*p02-25fps\\.mp4')}`));
    expect(probed?.code).toBe(0);
    const report = JSON.parse(probed?.text ?? '') as { arrival: { fps: number; advice: string } };
    expect(Math.abs(report.arrival.fps - 25)).toBeLessThan(0.5);
    expect(report.arrival.advice).toMatch(new RegExp(advice('a recording timed so')));
  }, 20_000);
});

describe('convert: where the output goes', () => {
  it('an existing output file is refused without -y (and with -n) and left as it was; -y overwrites it', async () => {
    const f = fixture('p01');
    const out = join(dir, 'exists.mp4');
    await writeFile(out, 'keep me');
    for (const extra of [[], ['-n'], ['--faststart']]) {
      const r = await runCli(['convert', fixturePath(f.name), '-o', out, ...extra]);
      expect(r.code, extra.join(' ')).toBe(1);
      expect(r.stderr, extra.join(' ')).toBe(
        extra[0] === '-n'
          ? `h264mux: ${out} already exists: not overwriting it (-n)\n`
          : `h264mux: ${out} already exists: add -y to overwrite it\n`,
      );
      expect(await readFile(out, 'utf8')).toBe('keep me');
    }
    const fresh = join(dir, 'fresh.mp4');
    expect((await runCli(['convert', fixturePath(f.name), '-o', fresh, '-q'])).code).toBe(0);
    const y = await runCli(['convert', fixturePath(f.name), '-o', out, '-y', '-q']);
    expect(y.code).toBe(0);
    expect(Buffer.compare(await readFile(out), await readFile(fresh))).toBe(0);
    // A device is not a file to protect: /dev/null needs no -y.
    expect((await runCli(['convert', fixturePath(f.name), '-o', '/dev/null', '-q'])).code).toBe(0);
  });

  it('-o - refuses to write binary to a terminal and says how to redirect it', async () => {
    // `script` (util-linux) runs the command with a pseudo-terminal as its stdout.
    const command = `${CLI} convert ${fixturePath(fixture('p01').name)} -o -`;
    const r = await run('script', ['-qec', command, '/dev/null']);
    expect(r.code).toBe(2);
    const printed = r.stdout.toString();
    expect(printed).toContain('not writing binary MP4 to a terminal');
    expect(printed.length).toBeLessThan(1000); // the message, no MP4 bytes
  });

  it('a full disk (stdout on /dev/full) fails with status 1 and "no space left on device", for convert and probe', async () => {
    const f = fixture('p03');
    const commands = [
      ['convert', fixturePath(f.name), '-o', '-'],
      ['convert', fixturePath(f.name), '-o', '-', '--faststart'],
      ['probe', '--frames', fixturePath(f.name)],
      ['probe', '--json', fixturePath(f.name)],
    ];
    for (const args of commands) {
      const full = openSync('/dev/full', 'w');
      try {
        const r = await runCli(args, { stdoutFd: full });
        expect(r.code, args.join(' ')).toBe(1);
        expect(r.stderr, args.join(' ')).toBe('h264mux: no space left on device\n');
      } finally {
        closeSync(full);
      }
    }
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
        frameCount: number;
        configurations: { width: number; height: number }[];
      };
      expect(info.stream.codec).toBe(f.codec);
      expect(`${info.stream.width}x${info.stream.height}`).toBe(f.sizes[0]);
      expect(info.configurations.map((c) => `${c.width}x${c.height}`)).toEqual(f.sizes);
      expect(info.stream.hasBFrames).toBe(f.hasBFrames);
      if (f.fps !== null) expect(info.stream.fps).toBeCloseTo(f.fps, 3);
      expect(info.frameCount).toBe(f.frames);
      const text = await runCli(['probe', fixturePath(f.name)]);
      expect(text.code).toBe(0);
      expect(text.stdout.toString()).toContain(`codec        ${f.codec}`);
      expect(text.stdout.toString()).toMatch(new RegExp(`frames +${f.frames} \\(`));
    });
  }

  it('--json: counts end in Count, lists are plural nouns (--frames lists every frame)', async () => {
    const f = fixture('p03');
    const r = await runCli(['probe', '--json', '--frames', fixturePath(f.name)]);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout.toString()) as Record<string, unknown> & {
      frameCount: number;
      keyframeCount: number;
      pictureTypeCounts: Record<string, number>;
      frames: { index: number; pictureType: string; ptsSeconds: number }[];
    };
    expect(report.frameCount).toBe(f.frames);
    expect(report.keyframeCount).toBe(f.idr + f.recoverySei);
    expect(Object.values(report.pictureTypeCounts).reduce((a, b) => a + b, 0)).toBe(f.frames);
    expect(report.frames.map((x) => x.index)).toEqual([...Array(f.frames).keys()]);
    expect(Object.keys(report).filter((k) => /list|^keyframes$|^pictureTypes$/i.test(k))).toEqual(
      [],
    );
    const plain = await runCli(['probe', '--json', fixturePath(f.name)]);
    expect(JSON.parse(plain.stdout.toString())).not.toHaveProperty('frames');
  });

  it('several inputs: each is probed under its own header; one that fails is reported and the rest still probed', async () => {
    const a = fixture('p01');
    const b = fixture('p08');
    const missing = join(dir, 'missing.h264');
    const text = await runCli(['probe', fixturePath(a.name), missing, fixturePath(b.name)]);
    expect(text.code).toBe(1);
    expect(text.stderr).toBe(`h264mux: ${missing}: no such file or directory\n`);
    const printed = text.stdout.toString();
    expect(printed).toMatch(new RegExp(`^${fixturePath(a.name)}: raw H\\.264`, 'm'));
    expect(printed).toMatch(new RegExp(`^${fixturePath(b.name)}: raw H\\.264`, 'm'));
    expect(printed).toMatch(new RegExp(`frames +${a.frames} \\(`));
    expect(printed).toMatch(new RegExp(`frames +${b.frames} \\(`));
    const json = await runCli(['probe', '--json', fixturePath(a.name), fixturePath(b.name)]);
    expect(json.code).toBe(0);
    const reports = JSON.parse(json.stdout.toString()) as { file: string; frameCount: number }[];
    expect(reports.map((r) => [r.file, r.frameCount])).toEqual([
      [fixturePath(a.name), a.frames],
      [fixturePath(b.name), b.frames],
    ]);
  });
});
