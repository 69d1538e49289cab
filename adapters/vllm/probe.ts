/**
 * What a validation needs to know about the server before it starts: that it answers, which model
 * it serves and its max_model_len (`/v1/models`), its version (`/version`) and, when asked, its KV
 * capacity (`vllm:cache_config_info` on `/metrics`). Problems become UserErrors with a fix.
 * llama.cpp's llama-server lists no max_model_len in `/v1/models` and has no `/version`: its
 * context per slot is `default_generation_settings.n_ctx` of `GET /props`, and its build is
 * `build_info` there.
 */
import { didYouMean, UserError } from '../../src/errors.js';
import { liveMessages as msg } from './messages.js';
import { cacheConfig, snapshot, type CacheConfig, type MetricsSnapshot } from './metrics-scrape.js';
import { failureReason } from './sse-client.js';

export interface ServerInfo {
  baseUrl: string;
  model: string;
  maxModelLen: number | null;
  version: string | null;
}

const authHeaders = (apiKey?: string): Record<string, string> => (apiKey ? { authorization: `Bearer ${apiKey}` } : {});

// One retry when the connection was lost: a caller that blocked its event loop past the server's
// keep-alive timeout (a fit, a simulation) reuses a pooled socket the server has closed; a GET is idempotent.
async function get(url: string, apiKey: string | undefined, timeoutMs: number, retries = 1): Promise<Response> {
  try {
    return await fetch(url, { headers: authHeaders(apiKey), signal: AbortSignal.timeout(timeoutMs) });
  } catch (e) {
    const timedOut = (e as Error).name === 'TimeoutError';
    const reason = failureReason(e, timeoutMs, timedOut);
    if (reason === 'connection reset' && retries > 0) return get(url, apiKey, timeoutMs, retries - 1);
    throw new UserError(msg.unreachable(url, reason));
  }
}

export async function probeServer(baseUrl: string, o: { model?: string; apiKey?: string; timeoutMs?: number }): Promise<ServerInfo> {
  const timeoutMs = o.timeoutMs ?? 10_000;
  const modelsResp = await get(`${baseUrl}/v1/models`, o.apiKey, timeoutMs);
  if (modelsResp.status === 401 || modelsResp.status === 403) throw new UserError(msg.needsApiKey(baseUrl));
  if (!modelsResp.ok) throw new UserError(msg.badStatus(`${baseUrl}/v1/models`, `HTTP ${modelsResp.status}`));
  const body = (await modelsResp.json().catch(() => ({}))) as { data?: { id?: string; max_model_len?: number }[] };
  const served = (body.data ?? []).filter((m) => typeof m.id === 'string');
  const ids = served.map((m) => m.id!);
  let model = o.model;
  if (model === undefined) {
    if (ids.length !== 1) throw new UserError(ids.length ? msg.severalModels(ids) : msg.badStatus(`${baseUrl}/v1/models`, 'an empty model list'));
    model = ids[0]!;
  } else if (!ids.includes(model)) {
    throw new UserError(msg.modelNotServed(model, ids, didYouMean(model, ids)));
  }
  const entry = served.find((m) => m.id === model)!;
  let version: string | null = null;
  try {
    const v = await fetch(`${baseUrl}/version`, { headers: authHeaders(o.apiKey), signal: AbortSignal.timeout(timeoutMs) });
    if (v.ok) version = ((await v.json()) as { version?: string }).version ?? null;
  } catch {
    // /version is optional (proxies do not have it)
  }
  let maxModelLen = typeof entry.max_model_len === 'number' ? entry.max_model_len : null;
  if (maxModelLen === null || version === null) {
    const props = await llamaServerProps(baseUrl, o.apiKey, timeoutMs);
    maxModelLen ??= props?.nCtx ?? null;
    version ??= props?.build ?? null;
  }
  return { baseUrl, model, maxModelLen, version };
}

/** llama-server's `GET /props`: the context per slot and the build; undefined from servers without it. */
async function llamaServerProps(baseUrl: string, apiKey: string | undefined, timeoutMs: number): Promise<{ nCtx: number | null; build: string | null } | undefined> {
  try {
    const r = await fetch(`${baseUrl}/props`, { headers: authHeaders(apiKey), signal: AbortSignal.timeout(timeoutMs) });
    if (!r.ok) return undefined;
    const p = (await r.json()) as { default_generation_settings?: { n_ctx?: unknown }; build_info?: unknown };
    const n = p.default_generation_settings?.n_ctx;
    return { nCtx: typeof n === 'number' && n > 0 ? n : null, build: typeof p.build_info === 'string' ? `llama.cpp ${p.build_info}` : null };
  } catch {
    return undefined;
  }
}

/** One /metrics scrape, or undefined when the server has none. */
export async function scrapeMetrics(baseUrl: string, apiKey?: string, timeoutMs = 10_000): Promise<MetricsSnapshot | undefined> {
  try {
    const r = await fetch(`${baseUrl}/metrics`, { headers: authHeaders(apiKey), signal: AbortSignal.timeout(timeoutMs) });
    if (!r.ok) return undefined;
    return snapshot(await r.text());
  } catch {
    return undefined;
  }
}

export async function serverCacheConfig(baseUrl: string, apiKey?: string): Promise<CacheConfig | undefined> {
  const s = await scrapeMetrics(baseUrl, apiKey);
  return s ? cacheConfig(s) : undefined;
}
