/**
 * Test helper: starts `pdsim serve` / `pdsim proxy` in a child process (its own event loop, as in
 * real use, so client and server do not slow each other down) and waits for its URL line.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface ChildServer {
  url: string;
  child: ChildProcess;
  stderr: () => string;
  close(): Promise<void>;
}

const ENTRY = fileURLToPath(new URL('./cli-child.ts', import.meta.url));

/** `entry`: the script to run (default cli-child.ts; src/cli/main.ts for any pdsim command). */
export function spawnCli(args: readonly string[], timeoutMs = 20_000, entry = ENTRY): Promise<ChildServer> {
  const child = spawn(process.execPath, ['--import', 'tsx', entry, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr!.on('data', (d: Buffer) => {
    err += d.toString();
    if (err.length > 100_000) err = err.slice(-50_000);
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`child did not print its URL within ${timeoutMs} ms: ${err}`));
    }, timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`child exited with ${code}: ${err}`));
    });
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /on (http:\/\/[^\s]+)/.exec(out);
      if (!m) return;
      clearTimeout(timer);
      resolve({
        url: m[1]!,
        child,
        stderr: () => err,
        close: () =>
          new Promise<void>((res) => {
            if (child.exitCode !== null) return res();
            child.once('exit', () => res());
            child.kill('SIGTERM');
            setTimeout(() => child.kill('SIGKILL'), 3000).unref();
          }),
      });
    });
  });
}
