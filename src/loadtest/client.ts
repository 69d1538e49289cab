/**
 * The load test's client: N streamed completions opened at once over node:http (no pool limit, one
 * connection each), each read to `data: [DONE]`. Every request ends completed (all its tokens, by
 * the usage chunk, and [DONE]) or failed with a reason (HTTP status, stream cut, timeout,
 * connection error). A stream is read event by event (only the unfinished event and the last
 * few KiB are kept, so the client's memory does not grow with the tokens streamed: 5,000 x
 * 1,000-token streams would be ~1 GB of text); completed means [DONE], usage saying max_tokens
 * tokens, and that many token events counted.
 */
import { Agent, request } from 'node:http';

export interface Tracker {
  /** Streams that had their first token and not yet their end. */
  active: number;
  peak: number;
  /** Streams that had their first token. */
  started: number;
  ended: number;
  /** Streams asked for; `whenAllOpen` runs once the moment all of them are open together. */
  target: number;
  whenAllOpen?: () => void;
}

export interface StreamOptions {
  maxTokens: number;
  promptTokens?: number;
  timeoutMs?: number;
}

const TAIL_CHARS = 4096;

/** Completion tokens reported by the stream's usage chunk (the last `"completion_tokens":N`). */
export function usageTokens(tail: string): number | undefined {
  const all = [...tail.matchAll(/"completion_tokens":(\d+)/g)];
  return all.length ? Number(all[all.length - 1]![1]) : undefined;
}

/** One streamed completion; resolves undefined when it completed, else the reason it failed. */
export function oneStream(url: string, o: StreamOptions, agent: Agent, t: Tracker): Promise<string | undefined> {
  const prompt = Array.from({ length: o.promptTokens ?? 16 }, (_, i) => 100 + i);
  const body = JSON.stringify({ model: 'loadtest', prompt, max_tokens: o.maxTokens, stream: true, ignore_eos: true, stream_options: { include_usage: true } });
  return new Promise((resolve) => {
    let inFlight = false;
    let settled = false;
    const finish = (reason: string | undefined): void => {
      if (settled) return;
      settled = true;
      if (inFlight) t.active--;
      t.ended++;
      resolve(reason);
    };
    const req = request(`${url}/v1/completions`, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      res.setEncoding('utf8');
      if (res.statusCode !== 200) {
        let err = '';
        res.on('data', (d: string) => (err = (err + d).slice(0, TAIL_CHARS)));
        res.on('end', () => finish(`HTTP ${res.statusCode} ${(/"message":"([^"]{0,40})/.exec(err)?.[1] ?? '').trim()}`.trim()));
        res.on('error', () => finish(`HTTP ${res.statusCode}`));
        return;
      }
      let tail = '';
      let partial = '';
      let tokenEvents = 0;
      let sawDone = false;
      const verdict = (): string | undefined => {
        if (!sawDone) return 'stream cut';
        const n = usageTokens(tail);
        if (n !== o.maxTokens) return `usage says ${n ?? 'nothing'} of ${o.maxTokens} tokens`;
        return tokenEvents === o.maxTokens ? undefined : `${tokenEvents} token events for ${o.maxTokens} tokens`;
      };
      res.on('data', (d: string) => {
        if (!inFlight) {
          inFlight = true;
          t.started++;
          t.active++;
          t.peak = Math.max(t.peak, t.active);
          if (t.active === t.target && t.whenAllOpen) {
            const f = t.whenAllOpen;
            t.whenAllOpen = undefined;
            f();
          }
        }
        tail = (tail + d).slice(-TAIL_CHARS);
        const events = (partial + d).split('\n\n');
        partial = events.pop()!;
        for (const e of events) {
          if (e === 'data: [DONE]') sawDone = true;
          else if (e.includes('"choices":[{')) tokenEvents++;
        }
      });
      res.on('end', () => finish(verdict()));
      res.on('error', () => finish('stream cut'));
      res.on('close', () => finish(verdict()));
    });
    req.setTimeout(o.timeoutMs ?? 900_000, () => {
      req.destroy();
      finish('timeout');
    });
    req.on('error', (e: NodeJS.ErrnoException) => finish(`connection: ${e.code ?? e.message}`));
    req.end(body);
  });
}

export interface DriveResult {
  sent: number;
  completed: number;
  failed: number;
  reasons: Record<string, number>;
  wallS: number;
  /** Most streams open (first token had, end not yet) at one moment. */
  peakConcurrent: number;
  /** Seconds from the first request until every stream had its first token (null if some never did). */
  allOpenS: number | null;
}

/**
 * Opens `n` streams at once; `onTick` runs every 20 ms with the tracker (the proxy run kills a
 * server from it), `onAllOpen` once when every stream is open at the same time.
 */
export async function drive(url: string, n: number, o: StreamOptions, hooks: { onTick?: (t: Tracker) => void; onAllOpen?: () => Promise<void> } = {}): Promise<DriveResult> {
  const agent = new Agent({ keepAlive: false, maxSockets: Infinity });
  const t0 = performance.now();
  let allOpenS: number | null = null;
  let allOpenDone: Promise<void> = Promise.resolve();
  const t: Tracker = {
    active: 0,
    peak: 0,
    started: 0,
    ended: 0,
    target: n,
    whenAllOpen: () => {
      allOpenS = (performance.now() - t0) / 1000;
      if (hooks.onAllOpen) allOpenDone = hooks.onAllOpen();
    },
  };
  const timer = hooks.onTick ? setInterval(() => hooks.onTick!(t), 20) : undefined;
  const outcomes = await Promise.all(Array.from({ length: n }, () => oneStream(url, o, agent, t)));
  if (timer) clearInterval(timer);
  await allOpenDone;
  agent.destroy();
  const reasons: Record<string, number> = {};
  for (const r of outcomes) if (r !== undefined) reasons[r] = (reasons[r] ?? 0) + 1;
  const failed = outcomes.filter((r) => r !== undefined).length;
  return { sent: n, completed: n - failed, failed, reasons, wallS: (performance.now() - t0) / 1000, peakConcurrent: t.peak, allOpenS };
}
