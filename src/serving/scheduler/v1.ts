/**
 * vLLM V1's default scheduler (vllm/v1/core/sched/scheduler.py): one token budget
 * (`maxNumBatchedTokens`) shared by running requests first (decodes and prefill chunks, preempting
 * the newest when blocks run out) and then waiting ones, at most `maxNumSeqs` sequences, chunked
 * prefill, prefix-cache hits, and requests that already hold blocks (remote KV, tier loads,
 * swap-ins) passing a head that cannot get any. An optional decode batch policy orders running
 * requests and caps the batch (scheduler/decode/); with one, batches may change shape between
 * identical iterations, so the decode fast path is off.
 */
import type { DecodeBatchPolicy } from './decode/index.js';
import type { RequestState } from '../request-state.js';
import type { Scheduler, SchedulerContext } from './types.js';

/** Index of the first waiting request from `from` on that already holds blocks, or -1 (a function, not a closure per step). */
function passer(waiting: readonly RequestState[], from: number): number {
  for (let k = from; k < waiting.length; k++) if (waiting[k]!.blocks > 0) return k;
  return -1;
}

export class V1Scheduler implements Scheduler {
  readonly name = 'v1';
  preempted = false;
  batchNewTokens = 0;
  batchContextTokens = 0;
  batchAllDecode = true;
  readonly stableDecodeShape: boolean;
  private readonly batchA: RequestState[] = [];
  private readonly batchB: RequestState[] = [];
  private flip = false;

  constructor(decodePolicy?: DecodeBatchPolicy) {
    this.stableDecodeShape = decodePolicy === undefined;
  }

  /** Waiting requests may hold blocks (remote KV, tier loads, swap-ins), so they may pass the head. */

  schedule(c: SchedulerContext): RequestState[] {
    const cfg = c.cfg;
    let budget = cfg.maxNumBatchedTokens;
    // One of two arrays, alternated: a batch is read until the next step, never past it (the
    // engine's scheduled batch, an open plan, a weight-stream flow). A fresh array per step was a
    // fifth of the parity run's allocation (69 of 349 MB). Written by index and cut once at the end
    // (`length =` is a runtime call: none when the batch has the size it had two steps ago).
    const out = (this.flip = !this.flip) ? this.batchA : this.batchB;
    let k = 0;
    let preempted = false;
    let newTokens = 0;
    let contextTokens = 0;
    let allDecode = true;
    const pol = cfg.decodePolicy;
    let cap = Infinity;
    if (pol) {
      pol.arrange(c.running);
      // Without a capping variant seqCap is maxNumSeqs whatever the candidates: no list built per step.
      if (pol.capsBatch) cap = pol.seqCap(c.running.length < cfg.maxNumSeqs ? c.running.concat(c.waiting.slice(0, cfg.maxNumSeqs - c.running.length)) : c.running, c.perf, cfg.maxNumSeqs, c.running.length);
      else cap = cfg.maxNumSeqs;
    }
    const running = c.running;
    const blocks = c.blocks;
    const bs = blocks.blockSizeTokens;
    const chunked = cfg.enableChunkedPrefill;
    for (let i = 0; i < running.length && budget > 0 && k < cap; ) {
      const r = running[i]!;
      const remaining = r.numTokens - r.numComputed;
      const n = remaining < budget ? remaining : budget;
      if (!chunked && n < remaining) {
        i++;
        continue;
      }
      // Blocks it must add to hold numComputed + n tokens (this loop runs for every request of every
      // step): none unless that is more than its blocks hold, tested with a product (integers:
      // ceil(t / bs) > held exactly when t > held * bs), so most decodes need no division.
      const target = r.numComputed + n;
      const held = r.blocks + r.hashedBlocks;
      const need = target > held * bs ? Math.ceil(target / bs) - held : 0;
      let selfPreempted = false;
      while (need > 0 && !blocks.allocate(need)) {
        const victim = c.running.pop()!;
        c.preempt(victim);
        preempted = true;
        if (victim === r) {
          selfPreempted = true;
          break;
        }
      }
      if (selfPreempted) break;
      if (need > 0) r.blocks += need;
      r.scheduled = n;
      budget -= n;
      out[k++] = r;
      newTokens += n;
      contextTokens += r.numComputed;
      if (n !== 1 || r.generated === 0) allDecode = false;
      i++;
    }
    // No admissions in an iteration that preempted (as vLLM), except when nothing runs at all while
    // waiting requests hold blocks (tier loads, swap-ins): the instance would otherwise stall.
    const conn = c.connector;
    // Nothing waiting (most steps of a saturated decode run): the admission pass would do nothing.
    if (c.waiting.length > 0 && (!preempted || (k === 0 && conn.loadsKv))) {
      let freeing = 0;
      if (pol?.sameIterationEviction) {
        for (let i = 0; i < k; i++) {
          const r = out[i]!;
          if (r.generated > 0 && r.generated + 1 >= r.outputTokens) freeing++;
        }
      }
      // A request whose KV arrived from a prefill instance, or was loaded from a KV tier or swapped
      // in, already holds its blocks: it may pass a head that cannot get blocks (otherwise the head
      // could wait forever on blocks held by such requests). The KV connector says whether that can
      // happen (never on a colocated instance without tiers).
      if (conn.loadsKv) conn.orderWaiting(c.waiting);
      let j = 0;
      let passing = false;
      // A sequence sampling its last token in this iteration gives its slot (in maxNumSeqs and in
      // the policy's cap) to a waiting one now; its blocks are still read by this iteration.
      while (j < c.waiting.length && c.running.length - freeing < cfg.maxNumSeqs && budget > 0 && k - freeing < cap) {
        const r = c.waiting[j]!;
        if (conn.loadsKv) {
          // Loading from a tier or swapping in: skipped (as vLLM's WAITING_FOR_REMOTE_KVS).
          const t = conn.admit(r, budget);
          if (t !== 'go') {
            if (t === 'busy') j = passing ? passer(c.waiting, j + 1) : j + 1;
            else {
              j = conn.waitingMayHoldBlocks ? passer(c.waiting, j + 1) : -1;
              passing = true;
            }
            if (j < 0) break;
            continue;
          }
        }
        const fresh = r.numComputed === 0;
        let hitBlocks = 0;
        // A request holding reserved blocks (remote KV, even when none of it was loaded) matches no prefix.
        if (cfg.enablePrefixCaching && r.numComputed === 0 && r.blocks === 0 && r.blockKeys.length > 0) {
          // Never the whole prompt: the last token must be computed to sample from it (as vLLM).
          const maxHit = Math.floor((r.numTokens - 1) / cfg.blockSizeTokens);
          hitBlocks = Math.min(c.blocks.matchPrefix(r.blockKeys), maxHit);
        }
        const computed = r.numComputed > 0 ? r.numComputed : hitBlocks * cfg.blockSizeTokens;
        const remaining = r.numTokens - computed;
        let n = Math.min(remaining, budget);
        if (!cfg.enableChunkedPrefill && n < remaining) break;
        // Blocks already held: a request whose KV arrived, was loaded from a tier or swapped in.
        const held = r.numComputed > 0 || r.blocks > 0 ? r.blocks + r.hashedBlocks : hitBlocks;
        let need = Math.max(0, c.blocks.blocksFor(computed + n) - held);
        if (hitBlocks > 0) c.blocks.acquire(r.blockKeys, 0, hitBlocks);
        if (!c.blocks.allocate(need)) {
          // Loaded or swapped in, but no blocks for a longer chunk: run what its blocks hold.
          const room = held * cfg.blockSizeTokens - computed;
          if (conn.loadsKv && r.numComputed > 0 && cfg.enableChunkedPrefill && room > 0) {
            n = Math.min(n, room);
            need = 0;
          } else {
            if (hitBlocks > 0) c.blocks.releaseHashed(r.blockKeys, 0, hitBlocks);
            j = conn.waitingMayHoldBlocks ? passer(c.waiting, j + 1) : -1;
            passing = true;
            if (j < 0) break;
            continue;
          }
        }
        if (fresh && conn.loadsKv && r.blockKeys.length > 0) conn.noteAdmission(r.numTokens, hitBlocks);
        if (hitBlocks > 0) {
          r.hashedBlocks = hitBlocks;
          r.numComputed = computed;
          if (r.generated === 0 && !r.remoteKv) r.cachedPromptTokens = computed;
        }
        r.blocks += need;
        // The head (most admissions) by shift(), which V8 does in place; splice is a generic runtime call.
        if (j === 0) c.waiting.shift();
        else c.waiting.splice(j, 1);
        c.waitingTokens -= r.queuedTokens;
        c.running.push(r);
        r.scheduled = n;
        budget -= n;
        out[k++] = r;
        newTokens += n;
        contextTokens += r.numComputed;
        if (n !== 1 || r.generated === 0) allDecode = false;
        if (passing && (j = passer(c.waiting, j)) < 0) break;
      }
    }
    if (out.length !== k) out.length = k;
    this.preempted = preempted;
    this.batchNewTokens = newTokens;
    this.batchContextTokens = contextTokens;
    this.batchAllDecode = allDecode;
    return out;
  }
}
