/**
 * Load tests over loopback against real `pdsim serve` and `pdsim proxy` processes: N streamed
 * completions opened at once, each read to `data: [DONE]`; every request ends as completed (all
 * tokens and [DONE]) or failed with a reason (HTTP status, stream cut, timeout). The proxy run kills
 * one of its two decode servers (SIGKILL) once a fifth of the streams are under way.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Agent, request } from 'node:http';
import { spawnCli, type ChildServer } from '../../adapters/testing/child.js';

export interface LoadResult {
  sent: number;
  completed: number;
  failed: number;
  reasons: Record<string, number>;
  wallS: number;
  /** Most streams that had their first byte and not yet their end, at once. */
  peakConcurrent: number;
  notes: string[];
}

const SCENARIO = `name: loadtest
model: llama-3.1-8b
engine: { maxNumSeqs: 8192, maxNumBatchedTokens: 65536, maxModelLen: 1024 }
deployment:
  pools:
    - gpu: h100-sxm
      instances: 2
workload:
  requests: 10
  arrival: { process: poisson, rate: 1 }
  input: { dist: fixed, value: 16 }
  output: { dist: fixed, value: 16 }
`;

function scenarioFile(): string {
  const f = path.join(mkdtempSync(path.join(tmpdir(), 'pdsim-load-')), 'loadtest.yaml');
  writeFileSync(f, SCENARIO);
  return f;
}

interface Tracker {
  active: number;
  peak: number;
  started: number;
}

/** One streamed completion over node:http (no connection pool limit); undefined when it completed. */
function oneStream(url: string, maxTokens: number, agent: Agent, t: Tracker, timeoutMs: number): Promise<string | undefined> {
  const body = JSON.stringify({ model: 'loadtest', prompt: Array.from({ length: 16 }, (_, i) => 100 + i), max_tokens: maxTokens, stream: true, ignore_eos: true });
  return new Promise((resolve) => {
    let inFlight = false;
    let settled = false;
    const finish = (reason: string | undefined): void => {
      if (settled) return;
      settled = true;
      if (inFlight) t.active--;
      resolve(reason);
    };
    const req = request(`${url}/v1/completions`, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      if (res.statusCode !== 200) {
        let err = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (err += d));
        res.on('end', () => finish(`HTTP ${res.statusCode} ${(/"message":"([^"]{0,40})/.exec(err)?.[1] ?? '').trim()}`.trim()));
        res.on('error', () => finish(`HTTP ${res.statusCode}`));
        return;
      }
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        if (!inFlight) {
          inFlight = true;
          t.started++;
          t.active++;
          t.peak = Math.max(t.peak, t.active);
        }
        text += d;
      });
      res.on('end', () => finish(!text.includes('data: [DONE]') ? 'stream ended without [DONE]' : text.includes('"choices"') ? undefined : 'no tokens'));
      res.on('error', () => finish('stream cut'));
      res.on('aborted', () => finish('stream cut'));
      res.on('close', () => finish(text.includes('data: [DONE]') ? undefined : 'stream cut'));
    });
    req.setTimeout(timeoutMs, () => {
      req.destroy();
      finish('timeout');
    });
    req.on('error', (e: NodeJS.ErrnoException) => finish(`connection: ${e.code ?? e.message}`));
    req.end(body);
  });
}

async function drive(url: string, n: number, maxTokens: number, onProgress?: (t: Tracker) => void): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: false, maxSockets: Infinity });
  const t: Tracker = { active: 0, peak: 0, started: 0 };
  const t0 = performance.now();
  const timer = onProgress ? setInterval(() => onProgress(t), 20) : undefined;
  const outcomes = await Promise.all(Array.from({ length: n }, () => oneStream(url, maxTokens, agent, t, 600_000)));
  if (timer) clearInterval(timer);
  agent.destroy();
  const reasons: Record<string, number> = {};
  for (const o of outcomes) if (o !== undefined) reasons[o] = (reasons[o] ?? 0) + 1;
  const failed = outcomes.filter((o) => o !== undefined).length;
  return { sent: n, completed: n - failed, failed, reasons, wallS: (performance.now() - t0) / 1000, peakConcurrent: t.peak, notes: [] };
}

/** `streams` concurrent streams on one `pdsim serve`. */
export async function serveLoad(streams: number, maxTokens = 256): Promise<LoadResult> {
  const server = await spawnCli(['serve', scenarioFile(), '--port', '0', '--speed', '1', '--quiet', '--model-name', 'loadtest'], 60_000);
  try {
    return await drive(server.url, streams, maxTokens);
  } finally {
    await server.close();
  }
}

/** `streams` concurrent streams through `pdsim proxy` (1 prefill, 2 decode); one decode server is killed mid-run. */
export async function proxyLoad(streams: number, maxTokens = 64): Promise<LoadResult & { killedHealthy?: boolean }> {
  const file = scenarioFile();
  const servers: ChildServer[] = await Promise.all([0, 1, 2].map(() => spawnCli(['serve', file, '--port', '0', '--speed', '1', '--quiet', '--model-name', 'loadtest'], 60_000)));
  const [p, d0, d1] = servers as [ChildServer, ChildServer, ChildServer];
  const proxy = await spawnCli(['proxy', '--prefill', p.url, '--decode', `${d0.url},${d1.url}`, '--port', '0', '--quiet'], 60_000);
  let killedAt = -1;
  try {
    const r = await drive(proxy.url, streams, maxTokens, (t) => {
      if (killedAt < 0 && t.started >= streams / 5) {
        killedAt = t.started;
        d1.child.kill('SIGKILL');
      }
    });
    const h = (await (await fetch(`${proxy.url}/healthz`)).json()) as { decode: { url: string; healthy: boolean }[] };
    r.notes.push(`decode server ${d1.url} killed after ${killedAt} streams had started`);
    return { ...r, killedHealthy: h.decode.find((d) => d.url === d1.url)?.healthy };
  } finally {
    await proxy.close();
    await Promise.all(servers.map((s) => s.close()));
  }
}
