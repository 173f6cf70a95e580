// A private X display for WebKitGTK: Xvfb picks a free display number itself (-displayfd) and tells it.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { EngineError } from './engine.js';

export interface XDisplay {
  /** e.g. ":99" */
  readonly display: string;
  close(): Promise<void>;
}

export function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

export async function startXvfb(): Promise<XDisplay> {
  const child = spawn(
    'Xvfb',
    ['-displayfd', '3', '-screen', '0', '1280x800x24', '-nolisten', 'tcp'],
    {
      stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const fd3 = child.stdio[3];
  if (!fd3 || !('on' in fd3)) throw new EngineError('LAUNCH_FAILED', 'Xvfb: no display fd');
  const number = await new Promise<string>((resolve, reject) => {
    let out = '';
    fd3.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('\n')) resolve(out.trim());
    });
    child.once('error', (error) =>
      reject(new EngineError('LAUNCH_FAILED', `Xvfb: ${error.message} (apt-get install -y xvfb)`)),
    );
    child.once('exit', (code) =>
      reject(new EngineError('LAUNCH_FAILED', `Xvfb exited (${code}): ${stderr.slice(-500)}`)),
    );
  });
  return { display: `:${number}`, close: () => stopProcess(child) };
}
