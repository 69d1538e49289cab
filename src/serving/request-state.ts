/**
 * Mutable per-request state inside an engine instance, in vLLM V1's unified view: a request has
 * `numTokens` known tokens (prompt + generated so far) of which `numComputed` have KV computed; an
 * iteration computes some of the rest, and when it reaches `numTokens` a new token is sampled.
 * A decode step is simply `numTokens - numComputed == 1`.
 */
import { HashBlockKeys } from '../kv/hash-block-keys.js';
import type { RequestSpec } from './types.js';

/** The keys of every request without prefix block keys (one shared object, no allocation per request). */
export const NO_BLOCK_KEYS: HashBlockKeys = HashBlockKeys.EMPTY;

/**
 * `n` as V8's small integer where it is one (else `n`, unchanged). A spec's lengths read from a
 * trace's Float64Array arrive as heap numbers; one stored into a counter here (numTokens from
 * promptTokens, and what is computed from it) turned numTokens, numComputed, scheduled and
 * queuedTokens into boxed doubles for every request: a dereference per read, float arithmetic.
 */
export function smallInt(n: number): number {
  const i = n | 0;
  return i === n ? i : n;
}

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

  /** spec.promptTokens and spec.outputTokens as small integers (smallInt), read here by the hot loops (one load, not three). */
  readonly promptTokens: number;
  readonly outputTokens: number;

  constructor(
    readonly spec: RequestSpec,
    /** Precomputed prefix-block keys in units of the engine's block size (empty without prefix caching). */
    readonly blockKeys: HashBlockKeys,
  ) {
    this.promptTokens = smallInt(spec.promptTokens);
    this.outputTokens = smallInt(spec.outputTokens);
    this.numTokens = this.promptTokens;
  }

  get isDecode(): boolean {
    return this.numTokens - this.numComputed === 1 && this.generated > 0;
  }
}
