/**
 * Load tests over loopback against real `pdsim serve` and `pdsim proxy` processes (client.ts opens
 * the streams). The server runs at a slow `--speed` so every stream is still generating when the
 * last one connects: what is measured is how many streams the server holds open at once, not how
 * fast a loaded machine connects. At the moment all are open the server's /metrics is read:
 * requests running, resident memory and open file descriptors, so memory per open stream is
 * (RSS then - RSS idle) / streams. The proxy run kills one of its two decode servers (SIGKILL)
 * once a fifth of the streams are under way.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { spawnCli, type ChildServer } from '../../adapters/testing/child.js';
import { drive, type DriveResult, type StreamOptions } from './client.js';

export interface LoadResult extends DriveResult {
  /** Read from the server's /metrics when every stream was open (undefined if that never happened). */
  atPeak?: ServerSample;
  idle?: ServerSample;
  notes: string[];
}

export interface ServerSample {
  running: number;
  rssBytes: number;
  openFds: number;
}

export interface LoadOptions extends StreamOptions {
  /** The server's --speed (simulated seconds per wall second). */
  speed: number;
}

// Two H100s hold 5,000 x (16 + 1,000) tokens? No: ~940k tokens of KV; 5,000 x 80 fit, so the
// default 64-token streams all run at once. Long streams use fewer (see load.test.ts).
const SCENARIO = `name: loadtest
model: llama-3.1-8b
engine: { maxNumSeqs: 8192, maxNumBatchedTokens: 65536, maxModelLen: 1100 }
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

const gaugeOf = (text: string, name: string): number => {
  let sum = 0;
  for (const m of text.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'gm'))) sum += Number(m[1]);
  return sum;
};

export async function sample(url: string): Promise<ServerSample> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return { running: gaugeOf(text, 'vllm:num_requests_running'), rssBytes: gaugeOf(text, 'process_resident_memory_bytes'), openFds: gaugeOf(text, 'process_open_fds') };
}

const serveArgs = (file: string, speed: number): string[] => ['serve', file, '--port', '0', '--speed', String(speed), '--quiet', '--model-name', 'loadtest'];

/** `streams` concurrent streams on one `pdsim serve`. */
export async function serveLoad(streams: number, o: LoadOptions): Promise<LoadResult> {
  const server = await spawnCli(serveArgs(scenarioFile(), o.speed), 60_000);
  try {
    const idle = await sample(server.url);
    let atPeak: ServerSample | undefined;
    const r = await drive(server.url, streams, o, { onAllOpen: async () => void (atPeak = await sample(server.url)) });
    return { ...r, idle, atPeak, notes: [] };
  } finally {
    await server.close();
  }
}

export interface ProxyLoadResult extends LoadResult {
  /** Requests the proxy had in flight on the killed decode server just before the kill. */
  inFlightOnKilled: number;
  /** The proxy's /metrics outcome counts after the run (ok, decode_cut, decode_error, ...). */
  proxyOutcomes: Record<string, number>;
  killedHealthy?: boolean;
}

const countersOf = (text: string, name: string, label: string): Record<string, number> => {
  const out: Record<string, number> = {};
  for (const m of text.matchAll(new RegExp(`^${name}_total\\{[^}]*${label}="([^"]+)"[^}]*\\} (\\S+)$`, 'gm'))) out[m[1]!] = (out[m[1]!] ?? 0) + Number(m[2]);
  return out;
};

/**
 * `streams` concurrent streams through `pdsim proxy` (1 prefill, 2 decode); one decode server is
 * killed once `killAfterStarted` streams have had their first token (default a fifth), unless
 * `kill` is false.
 */
export async function proxyLoad(streams: number, o: LoadOptions & { kill?: boolean; killAfterStarted?: number }): Promise<ProxyLoadResult> {
  const file = scenarioFile();
  // The prefill server runs in real time, so streams open as fast as the proxy can open them;
  // the decode servers run slowed, so each stream lasts long enough for all to be open at once.
  const servers: ChildServer[] = await Promise.all([1, o.speed, o.speed].map((speed) => spawnCli(serveArgs(file, speed), 60_000)));
  const [p, d0, d1] = servers as [ChildServer, ChildServer, ChildServer];
  const proxy = await spawnCli(['proxy', '--prefill', p.url, '--decode', `${d0.url},${d1.url}`, '--port', '0', '--quiet'], 60_000);
  let killedAt = -1;
  let openAtKill = -1;
  let inFlightOnKilled = -1;
  try {
    const idle = await sample(proxy.url);
    let atPeak: ServerSample | undefined;
    const r = await drive(proxy.url, streams, o, {
      onTick: (t) => {
        if (o.kill === false || killedAt >= 0 || t.started < (o.killAfterStarted ?? streams / 5)) return;
        killedAt = t.started;
        // What the proxy has in flight on the server just before the kill (its decode legs, in
        // the KV pull, queued or streaming): the most streams the kill may cut.
        void fetch(`${proxy.url}/metrics`).then(async (res) => {
          const text = await res.text();
          inFlightOnKilled = gaugeOf(text, `pdsim_proxy:outstanding_requests\\{backend="${d1.url}"\\}`);
          d1.child.kill('SIGKILL');
          killedAt = t.started;
          openAtKill = t.active;
        });
      },
      onAllOpen: async () => void (atPeak = await sample(proxy.url)),
    });
    const h = (await (await fetch(`${proxy.url}/healthz`)).json()) as { decode: { url: string; healthy: boolean }[] };
    const proxyOutcomes = countersOf(await (await fetch(`${proxy.url}/metrics`)).text(), 'pdsim_proxy:requests', 'outcome');
    const notes = killedAt < 0 ? [] : [`decode server ${d1.url} killed when ${killedAt} streams had started and ${openAtKill} were open, holding ${inFlightOnKilled} of them`];
    return { ...r, idle, atPeak, notes, inFlightOnKilled, proxyOutcomes, killedHealthy: h.decode.find((d) => d.url === d1.url)?.healthy };
  } finally {
    await proxy.close();
    await Promise.all(servers.map((s) => s.close()));
  }
}
