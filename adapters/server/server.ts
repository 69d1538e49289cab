/**
 * `pdsim serve`: an OpenAI-compatible HTTP server, shaped like vLLM's, whose timing comes from a
 * TimingBackend (the simulator in real time). It stands in for vLLM in every test of the live path.
 *
 * Endpoints: POST /v1/completions, /v1/chat/completions (streamed or not), /tokenize, /detokenize; GET /v1/models,
 * /health, /version, /load, /metrics. P/D (reference Part 1.5): a request with
 * `kv_transfer_params.do_remote_decode` runs the prefill only and answers one token plus filled
 * `kv_transfer_params`; one with `do_remote_prefill` first pulls the KV (promptTokens x
 * kvBytesPerToken over kvPullGBps) and then decodes without prefill compute.
 *
 * Safety: binds 127.0.0.1 unless told otherwise, caps body size, checks the API key when one is
 * set, and never logs request headers (the Authorization header included).
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { DEFAULT_MAX_BODY_BYTES, HttpError, readJsonBody, sendError, sendJson, sendText } from '../http/body.js';
import { DEFAULT_HOST, listen, type Listening } from '../http/listen.js';
import type { TimingBackend } from './backend.js';
import { createFaultPicker, type FaultOptions } from './faults.js';
import { fullResponse, roleChunk, sse, SSE_DONE, streamChunk, usageChunk, usageOf } from './openai-format.js';
import { chatLogprobs, completionLogprobs, planChoices } from './openai-plan.js';
import { parseOpenAiRequest, type KvTransferParams, type ParsedRequest } from './openai-request.js';
import { ServerMetrics } from './server-metrics.js';
import { APPROXIMATE_TOKENIZER, type Tokenizer } from './tokenizer.js';

/** Response header naming the request parameters accepted without effect (openai-params.ts). */
export const IGNORED_HEADER = 'x-pdsim-ignored';

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
  /** Text prompts, chat templates, echo and /detokenize; default: the approximate whitespace tokenizer. */
  tokenizer?: Tokenizer;
  /** One line per request (method, path, status); never headers or bodies. */
  log?: (line: string) => void;
}

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

  const tok = o.tokenizer ?? APPROXIMATE_TOKENIZER;
  const served = { modelName: o.modelName, maxModelLen: o.maxModelLen, tokenizer: tok };

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0]!;
    if (path.startsWith('/v1/') && o.apiKey !== undefined && req.headers['authorization'] !== `Bearer ${o.apiKey}`) {
      return sendJson(res, 401, { error: 'Unauthorized' });
    }
    const key = `${req.method} ${path}`;
    switch (key) {
      case 'GET /health':
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
        const body = (await readJsonBody(req, maxBodyBytes)) as { prompt?: unknown; messages?: { role?: unknown; content?: unknown }[] };
        const tokens = Array.isArray(body.prompt)
          ? (body.prompt as number[])
          : typeof body.prompt === 'string'
            ? tok.encode(body.prompt)
            : tok.encode(tok.chatPrompt((body.messages ?? []).map((m) => ({ role: String(m.role ?? 'user'), content: String(m.content ?? '') }))));
        return sendJson(res, 200, { count: tokens.length, max_model_len: o.maxModelLen, tokens, token_strs: null });
      }
      case 'POST /detokenize': {
        const body = (await readJsonBody(req, maxBodyBytes)) as { tokens?: unknown };
        if (!Array.isArray(body.tokens) || !body.tokens.every((x) => Number.isInteger(x))) throw new HttpError(400, 'tokens must be a list of integers');
        return sendJson(res, 200, { prompt: tok.decode(body.tokens as number[]) });
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
    if (p.ignored.length > 0) {
      res.setHeader(IGNORED_HEADER, p.ignored.join(','));
      o.log?.(`accepted without effect on the synthetic response: ${p.ignored.join(', ')}`);
    }

    const kv = p.kvTransferParams;
    const prefillLeg = kv?.do_remote_decode === true;
    const decodeLeg = kv?.do_remote_prefill === true;
    // The prefill leg answers one token, as vLLM's P does; stops do not apply to it.
    const plans = planChoices(prefillLeg ? { ...p, maxTokens: 1, minTokens: 0, stop: [], stopTokenIds: [] } : p, tok);
    const stream = p.stream && !prefillLeg; // the prefill leg is answered as one JSON, as vLLM's P does
    const promptTokensTotal = p.prompts.reduce((a, x) => a + x.ids.length, 0);
    const startS = o.backend.nowS();
    const st = plans.map(() => ({ produced: 0, firstTokenS: null as number | null, lastTokenS: 0, text: '', logTokens: 0, finished: false }));
    let producedAll = 0;
    let finishedCount = 0;
    let done = false;
    const jobs: { cancel(): void }[] = [];
    const faultAfter = Math.max(1, Math.floor(plans[0]!.pieces.length / 2));
    const cancelAll = (): void => jobs.forEach((j) => j.cancel());

    res.on('close', () => {
      if (!done) cancelAll(); // the client went away: stop generating, as vLLM aborts the request
    });
    if (stream) {
      res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive' });
      res.flushHeaders();
    }

    const logprobsOf = (k: number, from: number, to: number, offset: number): Record<string, unknown> | null => {
      if (p.logprobs === null) return null;
      return p.api === 'completions' ? completionLogprobs(plans[k]!, tok, p.logprobs, from, to, offset) : chatLogprobs(plans[k]!, tok, p.logprobs, from, to);
    };

    const onTokens = (k: number, count: number): void => {
      const c = plans[k]!;
      const s = st[k]!;
      if (done || s.finished) return;
      const nowS = o.backend.nowS();
      const n = Math.min(count, c.pieces.length - s.produced);
      if (n <= 0) return;
      const from = s.produced;
      const first = s.firstTokenS === null;
      const prefix = first && p.echo ? c.prompt.text : '';
      const offset = s.text.length + prefix.length;
      const chunkText = prefix + c.pieces.slice(from, from + n).join('');
      s.produced += n;
      producedAll += n;
      s.text += chunkText;
      if (first) {
        s.firstTokenS = nowS;
        if (!decodeLeg) metrics.promptDone(c.prompt.ids.length);
        metrics.tokens(n, nowS - startS, null);
      } else {
        metrics.tokens(n, null, nowS - s.lastTokenS);
      }
      s.lastTokenS = nowS;
      if (!stream) return;
      if (p.api === 'chat' && first) res.write(sse(roleChunk(p, ids, c.index)));
      const usage = p.continuousUsage ? usageOf(promptTokensTotal, producedAll) : undefined;
      res.write(sse(streamChunk(p, ids, c, chunkText, s.produced >= c.pieces.length, logprobsOf(k, from, from + n, offset), usage)));
      if (k === 0 && (fault === 'reset' || fault === 'break') && s.produced >= faultAfter && s.produced < c.pieces.length) {
        done = true;
        cancelAll();
        if (fault === 'reset') res.destroy();
        else res.end(`data: {"id":"${ids.id}","choi`); // half an event, no [DONE]
      }
    };

    const onFinish = (k: number, error?: string): void => {
      if (done) return;
      const s = st[k]!;
      if (error) {
        done = true;
        cancelAll();
        if (!stream) return sendError(res, 500, error, 'InternalServerError');
        res.write(sse({ error: { message: error, type: 'InternalServerError', param: null, code: 500 } }));
        return void res.end(SSE_DONE);
      }
      s.finished = true;
      metrics.finished(s.lastTokenS - startS, (s.firstTokenS ?? s.lastTokenS) - startS, s.produced);
      if (++finishedCount < plans.length) return;
      done = true;
      const usage = usageOf(promptTokensTotal, producedAll);
      if (stream) {
        if (p.includeUsage) res.write(sse(usageChunk(p, ids, usage)));
        return void res.end(SSE_DONE);
      }
      if (fault === 'reset' || fault === 'break') return void res.destroy();
      const choices = plans.map((c, i) => ({ plan: c, text: st[i]!.text, logprobs: logprobsOf(i, 0, c.pieces.length, p.echo ? c.prompt.text.length : 0) }));
      sendJson(res, 200, fullResponse(p, ids, choices, usage, prefillLeg ? filledKvParams(p) : null));
    };

    const submit = (): void => {
      if (res.destroyed) return;
      plans.forEach((c, k) => {
        jobs.push(o.backend.submit({ id: nextJobId++, promptTokens: c.prompt.ids.length, outputTokens: c.pieces.length, remotePrefill: decodeLeg }, { onTokens: (n) => onTokens(k, n), onFinish: (e) => onFinish(k, e) }));
      });
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
  return {
    ...l,
    metrics,
    close: async () => {
      o.backend.close();
      await l.close();
    },
  };
}
