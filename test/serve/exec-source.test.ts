// `h264mux serve --exec COMMAND`: a camera command run by the relay, run again when it exits or hangs.
import { execFileSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { AccessUnitReader } from '../../src/core/index.js';
import { parseServeArgs } from '../../src/cli/serve/options.js';
import { collectWs, fixture, fixturePath, startRelay, waitFor, type TestRelay } from './helpers.js';

const P01 = 'p01_pi_baseline_vga30_inline.h264';
const relays: TestRelay[] = [];
afterEach(async () => {
  await Promise.all(relays.splice(0).map((r) => r.close()));
});

async function execRelay(command: string): Promise<TestRelay> {
  const r = await startRelay({ kind: 'exec', command });
  relays.push(r);
  return r;
}

/** Whether a process whose command line holds `marker` runs. */
function running(marker: string): boolean {
  try {
    return execFileSync('pgrep', ['-f', marker]).toString().trim() !== '';
  } catch {
    return false;
  }
}

describe('serve --exec', () => {
  it('parses, and counts as the one source', () => {
    const o = parseServeArgs(['--exec', 'rpicam-vid -t 0 --inline -o -']);
    expect(o !== 'help' && o.source).toEqual({
      kind: 'exec',
      command: 'rpicam-vid -t 0 --inline -o -',
    });
    expect(() => parseServeArgs(['--exec', ' '])).toThrow(/--exec wants a command/);
    expect(() => parseServeArgs(['--exec', 'x', '--stdin'])).toThrow(/only one source/);
  });

  it('relays the command’s output; when it exits, runs it again, and viewers stay', async () => {
    const r = await execRelay(`cat '${fixturePath(P01)}'`);
    const reader = new AccessUnitReader();
    const frames = [...reader.push(fixture(P01)), ...reader.flush()].length;
    const viewer = collectWs(`ws://127.0.0.1:${r.port}/stream`);
    await waitFor('two runs of the command', () => r.source.status.reconnects >= 2);
    await waitFor('frames of a later run', () => viewer.frames.length > frames);
    expect(viewer.closed()).toBe(false);
    expect(r.source.status).toMatchObject({ kind: 'exec', target: 'exec:cat' });
    expect(r.logs.join('\n')).toMatch(/cat exited with code 0/);
    viewer.stop();
  });

  it('a command that fails is told, and tried again', async () => {
    const r = await execRelay('false');
    await waitFor('tries', () => r.source.status.reconnects >= 2);
    expect(r.source.status.error).toBe('false exited with code 1');
  });

  it('a command that sends nothing is stopped after the stall timeout (3 s here), and all it ran stops with the relay', async () => {
    // A pipeline: stopping `sh` alone would leave the sleep running.
    const marker = 'sleep 6137';
    const r = await execRelay(`${marker} | cat`);
    await waitFor('the command runs', () => running(marker));
    await waitFor('a stall', () => r.source.status.reconnects >= 1, 15_000);
    expect(r.source.status.error).toBe('sleep sent nothing for 3 s');
    await waitFor('the command runs again', () => running(marker));
    await r.close();
    await waitFor('the command stopped', () => !running(marker));
  });
});
