/**
 * Mutable per-request state inside an engine instance, in vLLM V1's unified view: a request has
 * `numTokens` known tokens (prompt + generated so far) of which `numComputed` have KV computed; an
 * iteration computes some of the rest, and when it reaches `numTokens` a new token is sampled.
 * A decode step is simply `numTokens - numComputed == 1`.
 */
import type { RequestSpec } from './types.js';

/**
 * The one key array of every request without prefix block keys (no allocation per request). Never
 * written (readonly); a plain literal, not frozen, so reads of `blockKeys` see the map they saw before.
 */
export const NO_BLOCK_KEYS: readonly number[] = [];

export class RequestState {
  numComputed = 0;
  numTokens: number;
  generated = 0;
  /** Anonymous KV blocks held. */
  blocks = 0;
  /**
   * Prefix blocks this request holds references on (prefix caching): always the first ones of
   * blockKeys, so a count (every reader needed only that; a copy of the keys was made per admission).
   */
  hashedBlocks = 0;
  firstTokenS: number | null = null;
  lastTokenS = 0;
  preemptions = 0;
  cachedPromptTokens = 0;
  /** Its prompt KV was pulled from a prefill instance (not a local prefix-cache hit). */
  remoteKv = false;
  /** Tokens scheduled in the iteration in flight. */
  scheduled = 0;
  /**
   * Its outstanding tokens when it joined the engine's waiting queue (or late arrivals): what the
   * engine's running counter holds for it, taken off as it leaves (instance.ts outstandingTokens).
   */
  queuedTokens = 0;

  constructor(
    readonly spec: RequestSpec,
    /** Precomputed prefix-block keys in units of the engine's block size (empty without prefix caching). */
    readonly blockKeys: readonly number[],
  ) {
    this.numTokens = spec.promptTokens;
  }

  get isDecode(): boolean {
    return this.numTokens - this.numComputed === 1 && this.generated > 0;
  }
}
