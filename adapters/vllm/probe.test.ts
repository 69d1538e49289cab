/**
 * The probe over real sockets, against a server in its own process (its keep-alive timer runs while
 * this process is blocked): the race of the 18:57 llama.cpp bench, where the loop fitted for 8 s with
 * its calibration run's connections pooled, the server closed them after its keep-alive timeout, and
 * the probe's GET went out on one of them ("connection reset").
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { probeServer } from './probe.js';

// Node's keep-alive timeout 3 s (the shortest whose hint undici does not discard: it keeps a socket for
// the hint less 2 s). The server counts the sockets it closed in a file, which a blocked client can poll.
const SERVER = `
const fs = require('node:fs');
let closed = 0;
const s = require('node:http').createServer((req, res) => {
  req.socket.once('close', () => {
    // Written whole, then renamed: a reader polling the file never sees it empty half-way.
    fs.writeFileSync(process.argv[1] + '.tmp', String(++closed));
    fs.renameSync(process.argv[1] + '.tmp', process.argv[1]);
  });
  res.setHeader('content-type', 'application/json');
  res.end(req.url === '/version' ? '{"version":"t"}' : '{"data":[{"id":"m","max_model_len":64}]}');
});
s.keepAliveTimeout = 3000;
s.listen(0, '127.0.0.1', () => console.log('on http://127.0.0.1:' + s.address().port));
`;
const closedFile = join(mkdtempSync(join(tmpdir(), 'probe-test-')), 'closed');
const closedCount = (): number => (existsSync(closedFile) ? Number(readFileSync(closedFile, 'utf8')) : 0);

let child: ChildProcess;
let url: string;
beforeAll(async () => {
  child = spawn(process.execPath, ['-e', SERVER, closedFile], { stdio: ['ignore', 'pipe', 'inherit'] });
  url = await new Promise<string>((resolve) => child.stdout!.on('data', (d: Buffer) => resolve(/on (\S+)/.exec(String(d))![1]!)));
});
afterAll(() => void child.kill());

/** A request that leaves its socket pooled, then the event loop blocked (as a long synchronous fit blocks it) until the server has closed that socket. */
async function poolThenBlock(): Promise<void> {
  const before = closedCount();
  await (await fetch(`${url}/v1/models`)).text();
  await new Promise((r) => setTimeout(r, 20)); // the socket back in the pool, idle
  const t = Date.now();
  while (closedCount() <= before && Date.now() - t < 15_000) {
    // busy: no timers, no socket events here
  }
  expect(closedCount()).toBe(before + 1);
  const t1 = Date.now();
  while (Date.now() - t1 < 50) {
    // the server's FIN on its way
  }
}

describe('probeServer after the event loop was blocked past the keep-alive timeout', () => {
  it('a plain GET on the stale pooled socket fails (the race reproduces here)', async () => {
    await poolThenBlock();
    await expect(fetch(`${url}/v1/models`)).rejects.toThrow();
  }, 20_000);

  it('the probe retries the lost connection once and succeeds', async () => {
    await poolThenBlock();
    const info = await probeServer(url, {});
    expect(info).toEqual({ baseUrl: url, model: 'm', maxModelLen: 64, version: 't' });
  }, 20_000);
});
