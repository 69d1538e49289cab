/**
 * `pdsim serve`: an OpenAI-compatible HTTP server, shaped like vLLM's, whose timing comes from a
 * TimingBackend (the simulator in real time). It stands in for vLLM in every test of the live path.
 *
 * Endpoints: POST /v1/completions, /v1/chat/completions (streamed or not), /tokenize; GET /v1/models,
 * /health, /version, /load, /metrics. P/D (reference Part 1.5): a request with
 * `kv_transfer_params.do_remote_decode` runs the prefill only and answers one token plus filled
 * `kv_transfer_params`; one with `do_remote_prefill` first pulls the KV (promptTokens x
 * kvBytesPerToken over kvPullGBps) and then decodes without prefill compute.
 *
 * Safety: binds 127.0.0.1 unless told otherwise, caps body size, checks the API key when one is
 * set, and never logs request headers (the Authorization header included).
 */
import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { DEFAULT_MAX_BODY_BYTES, HttpError, readJsonBody, sendError, sendJson, sendText } from '../http/body.js';
import { DEFAULT_HOST, exposedWarning, isLoopbackHost, listen, type Listening } from '../http/listen.js';
import type { TimingBackend } from './backend.js';
import { createFaultPicker, type FaultOptions } from './faults.js';
import { fullResponse, sse, SSE_DONE, streamChunk, usageChunk, usageOf } from './openai-format.js';
import { parseOpenAiRequest, type KvTransferParams, type ParsedRequest } from './openai-request.js';
import { ServerMetrics } from './server-metrics.js';
import { tokenizeText, tokenText } from './tokenizer.js';

export interface SimServerOptions {
  backend: TimingBackend;
  modelName: string;
  maxModelLen: number;
  host?: string;
  /** 0 = any free port. */
  port?: number;
  /** When set, /v1/* require `Authorization: Bearer <apiKey>`. */
  apiKey?: string;
  maxBodyBytes?: number;
  faults?: FaultOptions;
  /** Reported by /version. */
  version?: string;
  /** KV bytes per prompt token, for the decode-side pull time of P/D requests. */
  kvBytesPerToken?: number;
  /** Bandwidth of that pull, GB/s (1e9 bytes/s). */
  kvPullGBps?: number;
  /** One line per request (method, path, status); never headers or bodies. */
  log?: (line: string) => void;
  /** Warnings (binding beyond loopback without a key); default stderr. */
  warn?: (line: string) => void;
}

/** /tokenize bodies: a context of ids is ~1 MB of JSON; more is not a tokenize request. */
export const TOKENIZE_MAX_BODY_BYTES = 2 * 1024 * 1024;

export interface SimServer extends Listening {
  metrics: ServerMetrics;
}

export async function startSimServer(o: SimServerOptions): Promise<SimServer> {
  const engineId = randomUUID();
  const pickFault = createFaultPicker(o.faults);
  const cacheInfo = { block_size: o.backend.cache.blockSizeTokens, num_gpu_blocks: o.backend.cache.numGpuBlocks, cache_dtype: 'auto' };
  const metrics = new ServerMetrics(o.modelName, o.backend, cacheInfo);
  const maxBodyBytes = o.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  let nextJobId = 0;
  let address = { host: o.host ?? DEFAULT_HOST, port: 0 };

  const served = { modelName: o.modelName, maxModelLen: o.maxModelLen };
  const expected = o.apiKey !== undefined ? createHash('sha256').update(`Bearer ${o.apiKey}`).digest() : undefined;
  /** Constant-time compare of SHA-256 digests (equal lengths whatever the header), so timing says nothing about the key. */
  const authorized = (header: string | undefined): boolean => expected === undefined || (header !== undefined && timingSafeEqual(createHash('sha256').update(header).digest(), expected));

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0]!;
    if ((path.startsWith('/v1/') || path === '/tokenize' || path === '/detokenize') && !authorized(req.headers['authorization'])) {
      return sendJson(res, 401, { error: 'Unauthorized' });
    }
    const key = `${req.method} ${path}`;
    switch (key) {
      // vLLM answers /health; load balancers and Kubernetes probes often ask /healthz: both.
      case 'GET /health':
      case 'GET /healthz':
        res.writeHead(200, { 'content-length': 0 });
        return void res.end();
      case 'GET /version':
        return sendJson(res, 200, { version: o.version ?? 'pdsim-sim' });
      case 'GET /load': {
        const l = o.backend.load();
        return sendJson(res, 200, { server_load: l.running + l.waiting });
      }
      case 'GET /metrics':
        return sendText(res, 200, metrics.render(), 'text/plain; version=0.0.4; charset=utf-8');
      case 'GET /v1/models':
        return sendJson(res, 200, {
          object: 'list',
          data: [
            { id: o.modelName, object: 'model', created: Math.floor(Date.now() / 1000), owned_by: 'vllm', root: o.modelName, parent: null, max_model_len: o.maxModelLen, permission: [] },
          ],
        });
      case 'POST /tokenize': {
        const body = (await readJsonBody(req, Math.min(maxBodyBytes, TOKENIZE_MAX_BODY_BYTES))) as { prompt?: unknown; messages?: { content?: unknown }[] };
        if (body === null || typeof body !== 'object') throw new HttpError(400, 'Request body must be a JSON object');
        const ids = body.prompt;
        if (Array.isArray(ids) && !ids.every((t) => Number.isSafeInteger(t) && (t as number) >= 0)) throw new HttpError(400, 'prompt must be a string or a list of non-negative integer token ids');
        const messages = Array.isArray(body.messages) ? body.messages : [];
        const text = typeof ids === 'string' ? ids : messages.map((m) => String(m?.content ?? '')).join(' ');
        const tokens = Array.isArray(ids) ? (ids as number[]) : tokenizeText(text);
        // Never echo more than a context's worth of ids back (an unbounded echo is free amplification).
        if (tokens.length > o.maxModelLen) throw new HttpError(400, `This model's maximum context length is ${o.maxModelLen} tokens. However, you requested ${tokens.length} tokens.`);
        return sendJson(res, 200, { count: tokens.length, max_model_len: o.maxModelLen, tokens, token_strs: null });
      }
      case 'POST /v1/completions':
      case 'POST /v1/chat/completions': {
        const body = await readJsonBody(req, maxBodyBytes);
        const parsed = parseOpenAiRequest(path === '/v1/completions' ? 'completions' : 'chat', body, served);
        return generate(req, res, parsed);
      }
      default:
        return sendJson(res, 404, { detail: 'Not Found' });
    }
  }

  function generate(req: IncomingMessage, res: ServerResponse, p: ParsedRequest): void {
    const rid = String(req.headers['x-request-id'] ?? randomUUID());
    const ids = { id: `${p.api === 'completions' ? 'cmpl' : 'chatcmpl'}-${rid}`, created: Math.floor(Date.now() / 1000) };
    const fault = pickFault();
    if (fault) metrics.fault(fault);
    if (fault === 'fail') return sendError(res, 500, 'Injected fault: internal server error', 'InternalServerError');
    if (fault === 'stall') return; // accept and never answer: the socket stays open until the client gives up

    const kv = p.kvTransferParams;
    const prefillLeg = kv?.do_remote_decode === true;
    const decodeLeg = kv?.do_remote_prefill === true;
    const outputTokens = prefillLeg ? 1 : p.maxTokens;
    const stream = p.stream && !prefillLeg; // the prefill leg is answered as one JSON, as vLLM's P does
    const startS = o.backend.nowS();
    let produced = 0;
    let firstTokenS: number | null = null;
    let lastTokenS = 0;
    let text = '';
    let done = false;
    let job: { cancel(): void } | undefined;
    const faultAfter = Math.max(1, Math.floor(outputTokens / 2));

    res.on('close', () => {
      if (done) return;
      // The client went away: stop generating (the backend frees its slot), as vLLM aborts the request.
      done = true;
      job?.cancel();
      metrics.aborted();
    });
    if (stream) {
      res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive' });
      res.flushHeaders();
    }

    const onTokens = (count: number): void => {
      if (done) return;
      const nowS = o.backend.nowS();
      const n = Math.min(count, outputTokens - produced);
      let chunkText = '';
      for (let i = 0; i < n; i++) chunkText += tokenText(produced + i);
      produced += n;
      text += chunkText;
      if (firstTokenS === null) {
        firstTokenS = nowS;
        if (!decodeLeg) metrics.promptDone(p.promptTokens);
        metrics.tokens(n, nowS - startS, null);
      } else {
        metrics.tokens(n, null, nowS - lastTokenS);
      }
      lastTokenS = nowS;
      if (!stream) return;
      if (p.api === 'chat' && produced === n) res.write(sse(streamChunk(p, ids, '', null, true)));
      res.write(sse(streamChunk(p, ids, chunkText, produced >= outputTokens ? 'length' : null)));
      if ((fault === 'reset' || fault === 'break') && produced >= faultAfter && produced < outputTokens) {
        done = true;
        job?.cancel();
        if (fault === 'reset') res.destroy();
        else res.end(`data: {"id":"${ids.id}","choi`); // half an event, no [DONE]
      }
    };

    const onFinish = (error?: string): void => {
      if (done) return;
      done = true;
      if (error) {
        if (!stream) return sendError(res, 500, error, 'InternalServerError');
        res.write(sse({ error: { message: error, type: 'InternalServerError', param: null, code: 500 } }));
        return void res.end(SSE_DONE);
      }
      metrics.finished(lastTokenS - startS, (firstTokenS ?? lastTokenS) - startS, produced);
      const usage = usageOf(p.promptTokens, produced);
      if (stream) {
        if (p.includeUsage) res.write(sse(usageChunk(p, ids, usage)));
        return void res.end(SSE_DONE);
      }
      if (fault === 'reset' || fault === 'break') return void res.destroy();
      sendJson(res, 200, fullResponse(p, ids, text, usage, prefillLeg ? filledKvParams(p) : null));
    };

    const submit = (): void => {
      if (res.destroyed) return;
      job = o.backend.submit({ id: nextJobId++, promptTokens: p.promptTokens, outputTokens, remotePrefill: decodeLeg }, { onTokens, onFinish });
    };
    if (decodeLeg) {
      const pullS = (p.promptTokens * (o.kvBytesPerToken ?? 131072)) / ((o.kvPullGBps ?? 25) * 1e9);
      setTimeout(submit, o.backend.wallMs(pullS));
    } else {
      submit();
    }
  }

  function filledKvParams(p: ParsedRequest): KvTransferParams {
    const blocks = Math.ceil(p.promptTokens / o.backend.cache.blockSizeTokens);
    return {
      do_remote_prefill: true,
      do_remote_decode: false,
      remote_engine_id: engineId,
      remote_block_ids: Array.from({ length: blocks }, (_, i) => i),
      remote_host: address.host,
      remote_port: address.port,
      tp_size: 1,
    };
  }

  const server = createServer((req, res) => {
    res.on('finish', () => o.log?.(`${req.method} ${(req.url ?? '').split('?')[0]} ${res.statusCode}`));
    route(req, res).catch((e: unknown) => {
      if (e instanceof HttpError) return sendError(res, e.status, e.message, e.type);
      o.log?.(`internal error on ${req.method} ${req.url}: ${(e as Error).message}`);
      sendError(res, 500, 'Internal server error', 'InternalServerError');
    });
  });
  const l = await listen(server, o.host ?? DEFAULT_HOST, o.port ?? 0);
  address = { host: l.host, port: l.port };
  if (o.apiKey === undefined && !isLoopbackHost(l.host)) (o.warn ?? ((s) => process.stderr.write(`${s}\n`)))(exposedWarning(l.url));
  return {
    ...l,
    metrics,
    close: async () => {
      o.backend.close();
      await l.close();
    },
  };
}
