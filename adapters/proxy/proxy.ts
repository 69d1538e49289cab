/**
 * `pdsim proxy`: the P/D proxy of vLLM's NIXL protocol (reference Part 1.5, toy_proxy_server.py).
 *   1. pick a prefill server and send it the request with `max_tokens: 1`, `stream: false` and
 *      `kv_transfer_params.do_remote_decode: true` (stream_options and min_tokens removed);
 *   2. take the `kv_transfer_params` of its answer, put them into the original request, pick a
 *      decode server and stream its answer back to the client unchanged.
 * Both legs carry the same X-Request-Id. Servers are chosen by the simulator's routing policies
 * (src/serving/routing) over the load the proxy sees (requests and tokens in flight per server).
 * `/metrics` exposes per-leg timing histograms. Backends are health-checked (health.ts): a failing
 * one is ejected and retried with back-off, a failed leg is retried on another healthy backend, and
 * `/health` and `/healthz` answer 503 while a role has none. Binds loopback by default, caps body size, and
 * forwards the client's Authorization header without ever logging it.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { RandomStreams } from '../../src/kernel/random.js';
import { createRouter, type RoutingPolicyName } from '../../src/serving/routing/index.js';
import { DEFAULT_MAX_BODY_BYTES, HttpError, readJsonBody, sendError, sendJson, sendText } from '../http/body.js';
import { DEFAULT_HOST, isLoopbackHost, listen, type Listening } from '../http/listen.js';
import { backendsOf, describeFetchError, HealthTracker, isSoft, type Backend, type HealthOptions } from './health.js';
import { PromRegistry } from '../http/prom-text.js';
import { declareProcessMetrics, updateProcessMetrics } from '../http/process-metrics.js';

export interface ProxyOptions {
  prefill: readonly string[];
  decode: readonly string[];
  host?: string;
  port?: number;
  policy?: RoutingPolicyName;
  seed?: number;
  maxBodyBytes?: number;
  /** Per-leg timeout, ms. */
  timeoutMs?: number;
  /** Backend health checks (probe period, back-off); see health.ts. */
  health?: HealthOptions;
  log?: (line: string) => void;
  /** Warnings (binding beyond loopback); default stderr. */
  warn?: (line: string) => void;
}

const LEG_BUCKETS_S = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];
/** Tries of one leg on different healthy backends before the request fails. */
const MAX_ATTEMPTS = 3;

function promptTokensOf(body: Record<string, unknown>): number {
  const p = body['prompt'];
  if (Array.isArray(p)) return p.length;
  const text = typeof p === 'string' ? p : JSON.stringify(body['messages'] ?? '');
  return Math.ceil(text.split(/\s+/).length);
}

/** The prefill leg's body, as the toy proxy builds it. */
export function prefillBody(body: Record<string, unknown>): Record<string, unknown> {
  const b: Record<string, unknown> = {
    ...body,
    kv_transfer_params: { do_remote_decode: true, do_remote_prefill: false, remote_engine_id: null, remote_block_ids: null, remote_host: null, remote_port: null },
    stream: false,
    max_tokens: 1,
  };
  if ('max_completion_tokens' in b) b['max_completion_tokens'] = 1;
  delete b['stream_options'];
  delete b['min_tokens'];
  delete b['min_completion_tokens'];
  return b;
}

export async function startProxy(o: ProxyOptions): Promise<Listening> {
  if (o.prefill.length === 0 || o.decode.length === 0) throw new RangeError('the proxy needs at least one prefill and one decode server');
  const backends = [...backendsOf(o.prefill, 'prefill'), ...backendsOf(o.decode, 'decode')];
  const streams = new RandomStreams(o.seed ?? 0);
  const policy = o.policy ?? 'round-robin';
  const routeP = createRouter(policy, () => streams.stream('route-prefill').next());
  const rngD = streams.stream('route-decode');
  const routeD = createRouter(policy, () => rngD.next());
  const timeoutMs = o.timeoutMs ?? 600_000;
  const maxBodyBytes = o.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const reg = new PromRegistry();
  reg.histogram('pdsim_proxy:prefill_leg_seconds', 'Prefill leg: request sent to P until its JSON answer is read.', LEG_BUCKETS_S);
  reg.histogram('pdsim_proxy:decode_first_byte_seconds', 'Decode leg: request sent to D until the first body byte.', LEG_BUCKETS_S);
  reg.histogram('pdsim_proxy:decode_leg_seconds', 'Decode leg: request sent to D until its stream ends.', LEG_BUCKETS_S);
  reg.histogram('pdsim_proxy:request_seconds', 'Whole request through the proxy.', LEG_BUCKETS_S);
  reg.counter('pdsim_proxy:requests', 'Requests by outcome (ok, prefill_error, decode_error, decode_cut, no_backend, client_gone).');
  reg.counter('pdsim_proxy:retries', 'Legs retried on another backend after one failed, by role.');
  reg.counter('pdsim_proxy:ejections', 'Backends taken out of routing after a failure, by backend.');
  reg.gauge('pdsim_proxy:outstanding_requests', 'Requests in flight per backend.');
  reg.gauge('pdsim_proxy:backend_healthy', '1 while a backend is in routing, 0 while ejected.');
  declareProcessMetrics(reg);
  const health = new HealthTracker(backends, {
    ...o.health,
    onChange: (b, up, reason) => {
      reg.set('pdsim_proxy:backend_healthy', { backend: b.url }, up ? 1 : 0);
      if (!up) reg.inc('pdsim_proxy:ejections', { backend: b.url });
      o.log?.(`backend ${b.url} (${b.role}) ${up ? 'readmitted' : `ejected: ${reason}`}`);
      o.health?.onChange?.(b, up, reason);
    },
  });
  for (const b of backends) reg.set('pdsim_proxy:backend_healthy', { backend: b.url }, 1);

  const headersFor = (req: IncomingMessage, rid: string): Record<string, string> => {
    const h: Record<string, string> = { 'content-type': 'application/json', 'x-request-id': rid };
    if (typeof req.headers['authorization'] === 'string') h['authorization'] = req.headers['authorization'];
    return h;
  };
  const take = (b: Backend, tokens: number): void => {
    b.outstandingRequests++;
    b.outstandingTokens += tokens;
    reg.set('pdsim_proxy:outstanding_requests', { backend: b.url }, b.outstandingRequests);
  };
  const release = (b: Backend, tokens: number): void => {
    b.outstandingRequests--;
    b.outstandingTokens -= tokens;
    reg.set('pdsim_proxy:outstanding_requests', { backend: b.url }, b.outstandingRequests);
  };
  /** 502/503 say the backend cannot serve; other statuses (a 500 for one request, a 400) are the request's. */
  const backendDown = (status: number): boolean => status === 502 || status === 503;

  async function forward(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    const body = (await readJsonBody(req, maxBodyBytes)) as Record<string, unknown>;
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new HttpError(400, 'Request body must be a JSON object');
    const rid = String(req.headers['x-request-id'] ?? randomUUID());
    const t0 = performance.now();
    const promptTokens = promptTokensOf(body);
    const maxTokens = Number(body['max_completion_tokens'] ?? body['max_tokens'] ?? 16);
    const abort = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) abort.abort();
    });
    const legSignal = () => AbortSignal.any([abort.signal, AbortSignal.timeout(timeoutMs)]);
    const outcome = (o2: string): void => reg.inc('pdsim_proxy:requests', { outcome: o2 });
    const noBackend = (role: string): void => {
      outcome('no_backend');
      sendError(res, 503, `no healthy ${role} server: every one failed and is ejected until a health probe succeeds (see /health)`, 'ServiceUnavailable');
    };

    // 1. Prefill leg, retried on another healthy prefill server when one is down.
    let kv: unknown;
    for (let attempt = 1; ; attempt++) {
      const healthy = health.healthy('prefill');
      if (healthy.length === 0) return noBackend('prefill');
      const p = healthy[routeP.pick(healthy, { promptTokens })]!;
      take(p, promptTokens);
      try {
        const r = await fetch(p.url + path, { method: 'POST', headers: headersFor(req, rid), body: JSON.stringify(prefillBody(body)), signal: legSignal() });
        const text = await r.text();
        if (backendDown(r.status)) throw new Error(`answered ${r.status}`);
        if (!r.ok) {
          outcome('prefill_error');
          res.writeHead(r.status, { 'content-type': r.headers.get('content-type') ?? 'application/json' });
          return void res.end(text);
        }
        kv = (JSON.parse(text) as { kv_transfer_params?: unknown }).kv_transfer_params;
        reg.observe('pdsim_proxy:prefill_leg_seconds', { backend: p.url }, (performance.now() - t0) / 1000);
        break;
      } catch (e) {
        if (abort.signal.aborted) return void outcome('client_gone');
        health.fail(p, describeFetchError(e), isSoft(e) || /^answered 50[23]$/.test((e as Error).message));
        if (attempt < MAX_ATTEMPTS && health.healthy('prefill').length > 0) {
          reg.inc('pdsim_proxy:retries', { role: 'prefill' });
          continue;
        }
        outcome('prefill_error');
        return sendError(res, 502, `prefill server ${p.id} failed: ${describeFetchError(e)}`, 'BadGateway');
      } finally {
        release(p, promptTokens);
      }
    }

    // 2. Decode leg, streamed through unchanged; retried on another decode server until the first byte.
    const dTokens = promptTokens + maxTokens;
    for (let attempt = 1; ; attempt++) {
      const healthy = health.healthy('decode');
      if (healthy.length === 0) return noBackend('decode');
      const d = healthy[routeD.pick(healthy, { promptTokens })]!;
      take(d, dTokens);
      const t1 = performance.now();
      try {
        const r = await fetch(d.url + path, { method: 'POST', headers: headersFor(req, rid), body: JSON.stringify({ ...body, kv_transfer_params: kv }), signal: legSignal() });
        if (backendDown(r.status)) {
          await r.arrayBuffer().catch(() => undefined);
          throw new Error(`answered ${r.status}`);
        }
        res.writeHead(r.status, { 'content-type': r.headers.get('content-type') ?? 'application/json', 'x-request-id': rid });
        res.flushHeaders();
        if (r.body) {
          const reader = r.body.getReader();
          let first = true;
          for (;;) {
            const { done, value } = await reader.read();
            if (done) break;
            if (first) reg.observe('pdsim_proxy:decode_first_byte_seconds', { backend: d.url }, (performance.now() - t1) / 1000);
            first = false;
            res.write(value);
          }
        }
        res.end();
        outcome(r.ok ? 'ok' : 'decode_error');
        reg.observe('pdsim_proxy:decode_leg_seconds', { backend: d.url }, (performance.now() - t1) / 1000);
        reg.observe('pdsim_proxy:request_seconds', {}, (performance.now() - t0) / 1000);
        return;
      } catch (e) {
        if (abort.signal.aborted) return void outcome('client_gone');
        health.fail(d, describeFetchError(e), isSoft(e) || /^answered 50[23]$/.test((e as Error).message));
        if (res.headersSent) {
          // Mid-stream the status is already sent: cutting the connection is the only honest signal.
          outcome('decode_cut');
          return void res.destroy();
        }
        if (attempt < MAX_ATTEMPTS && health.healthy('decode').length > 0) {
          reg.inc('pdsim_proxy:retries', { role: 'decode' });
          continue;
        }
        outcome('decode_error');
        return sendError(res, 502, `decode server ${d.id} failed: ${describeFetchError(e)}`, 'BadGateway');
      } finally {
        release(d, dTokens);
      }
    }
  }

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0]!;
    switch (`${req.method} ${path}`) {
      // Both paths (vLLM answers /health, probes often ask /healthz); 503 when a role has no healthy server.
      case 'GET /health':
      case 'GET /healthz': {
        const st = health.status();
        return sendJson(res, st.status === 'ok' ? 200 : 503, st);
      }
      case 'GET /metrics':
        updateProcessMetrics(reg);
        return sendText(res, 200, reg.render(), 'text/plain; version=0.0.4; charset=utf-8');
      case 'GET /v1/models': {
        const h: Record<string, string> = {};
        if (typeof req.headers['authorization'] === 'string') h['authorization'] = req.headers['authorization'];
        const d = health.healthy('decode')[0];
        if (!d) return sendError(res, 503, 'no healthy decode server (see /health)', 'ServiceUnavailable');
        const r = await fetch(d.url + '/v1/models', { headers: h, signal: AbortSignal.timeout(10_000) }).catch(() => undefined);
        if (!r) return sendError(res, 502, 'decode server unreachable', 'BadGateway');
        res.writeHead(r.status, { 'content-type': r.headers.get('content-type') ?? 'application/json' });
        return void res.end(await r.text());
      }
      case 'POST /v1/completions':
      case 'POST /v1/chat/completions':
        return forward(req, res, path);
      default:
        return sendJson(res, 404, { detail: 'Not Found' });
    }
  }

  const server = createServer((req, res) => {
    res.on('finish', () => o.log?.(`${req.method} ${(req.url ?? '').split('?')[0]} ${res.statusCode}`));
    route(req, res).catch((e: unknown) => {
      if (e instanceof HttpError) return sendError(res, e.status, e.message, e.type);
      o.log?.(`internal error on ${req.method} ${req.url}: ${(e as Error).message}`);
      sendError(res, 500, 'Internal proxy error', 'InternalServerError');
    });
  });
  const l = await listen(server, o.host ?? DEFAULT_HOST, o.port ?? 0);
  if (!isLoopbackHost(l.host)) (o.warn ?? ((s) => process.stderr.write(`${s}\n`)))(`warning: the proxy listens on ${l.url}, reachable beyond this machine, and checks no key itself: its backends must require one (--api-key)`);
  health.start();
  return {
    ...l,
    close: async () => {
      health.stop();
      await l.close();
    },
  };
}
