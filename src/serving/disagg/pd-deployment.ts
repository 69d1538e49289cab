/**
 * The P/D runtime: prefill instances, decode instances and optional colocated ones behind a router,
 * joined by KV transfers. It owns the flights (a request between its prefill and its decode), the
 * FIFO of flights waiting for a decode reservation, and the hand-off. The composition root
 * (src/scenario/build/disagg.ts) builds the instances, the transfer manager and this class, and
 * wires the instances' hooks and the manager's callbacks to its methods.
 *
 * A request's path:
 *   1. submit: short prompts (disaggregate above a threshold) go to a colocated pool, or run whole on
 *      a decode instance; the rest go to a prefill instance (router policy, one random stream each);
 *   2. onPrefillIteration (start of the iteration that completes the prompt): the transfer is
 *      scheduled, one chunk per layer (layer-wise, due when that layer's compute ends) or one chunk
 *      at prefill end (whole); layer-wise also reserves decode blocks now, whole when prefill ends
 *      (vLLM reserves while the request waits for remote KV). No decode blocks free: the flight
 *      queues, FIFO (back-pressure, counted);
 *   3. onSourceFree: the prefill instance frees its blocks; onReady: the last destination leg landed
 *      and the decode instance admits the request.
 * The decode leg (vLLM's P/D protocol, toy_proxy_server.py): the proxy sends the request to D when
 * P's answer arrives, and D's API server takes `decodeLegMs` (its front end, src/perf/front-end.ts)
 * before D's engine has it. A whole transfer is D's pull (NIXL: D's scheduler reserves blocks and
 * reads the KV once it has the request), so it is asked for then; a layer-wise one is pushed into
 * blocks reserved during the prefill, and D admits it once both the KV and the leg are there.
 * Abort: a request not yet in flight is removed from its instance; a flight's KV transfer runs to
 * its end (as vLLM's connectors delay freeing blocks under transfer), then its decode blocks are
 * freed instead of admitted.
 */
import type { RandomStream } from '../../kernel/random.js';
import type { Simulator } from '../../kernel/simulator.js';
import type { IterationTimes } from '../../perf/perf-model.js';
import { messages } from '../../messages.js';
import { round3 } from '../../round.js';
import { blockKeys } from '../block-keys.js';
import { abortedOf, admitDecodeLeg, type Deployment } from '../deployment.js';
import type { EngineInstance } from '../instance.js';
import { pickInstance, type RouterPolicy, type RouteState } from '../pick-instance.js';
import { NO_BLOCK_KEYS, RequestState } from '../request-state.js';
import type { RequestSpec } from '../types.js';
import type { DisaggSink } from './disagg-sink.js';
import type { KvTransferManager, Transfer, TransferPolicy } from './kv-transfer.js';
import { sinkOrderOf, type SinkOrder } from '../sink-buffer.js';

/**
 * One landed transfer, split by cause (definitions and formulas: docs/metrics.md, "KV transfer").
 * Times are of this request only; none is a sum over requests running at the same time.
 */
export interface TransferOutcome {
  bytes: number;
  /** First chunk due -> KV ready on the decode side. */
  transferMs: number;
  /** Prefill end -> KV ready: what the transfer and its waits added after the prefill. */
  exposedMs: number;
  /** Link time exposed: KV ready minus the latest of prefill end, decode reservation, last staging grant. */
  linkExposedMs: number;
  /** Time in the decode-reservation FIFO (asked -> reserved). */
  reservationWaitMs: number;
  /** Time during which some chunk waited for staging space. */
  stagingWaitMs: number;
  /** Part of transferMs before prefill end: hidden under the request's own prefill compute. */
  hiddenMs: number;
  /** Arrival -> the prefill instance's own (discarded) first token. */
  prefillTtftMs: number;
}

/** Typed counters of the P/D runtime; src/metrics turns them into summary figures. */
export interface PdCounters {
  /** A flight got its decode reservation after waiting `waitS` (0 when at once). */
  reserved(waitS: number): void;
  /** A flight joined the reservation queue, now `queueLength` long. */
  queued(queueLength: number): void;
  /** A transfer landed. */
  transferred(o: TransferOutcome): void;
}

export interface PdStreams {
  prefill: RandomStream;
  decode: RandomStream;
  /** Short prompts kept off the prefill pool (colocated or decode instances). */
  colocated: RandomStream;
}

export interface PdOptions {
  policy: RouterPolicy;
  streams: PdStreams;
  transferPolicy: TransferPolicy;
  numLayers: number;
  /** Prompts shorter than this are not disaggregated (0: every prompt is). */
  thresholdTokens: number;
  /** Compute prefix block keys for each request. */
  keyed: boolean;
  blockSizeTokens: number;
  /** Machine-wide GPU indices of each instance. */
  gpusOf: ReadonlyMap<EngineInstance, readonly number[]>;
  /** Prefill end -> the decode leg reaches D's engine: D's API-server front end, ms (0: at once). */
  decodeLegMs?: number;
}

interface Flight {
  req: RequestState;
  prefill: EngineInstance;
  transfer: Transfer;
  /** The decode side's own state (its blocks are not the prefill's). */
  dreq: RequestState;
  decode: EngineInstance | null;
  wantS: number;
  reservedS: number;
  /** When the decode leg reaches D's engine (prefill end + decodeLegMs). */
  legS: number;
  aborted: boolean;
}

export class PdDeployment implements Deployment {
  readonly instances: readonly EngineInstance[];
  private readonly flights = new Map<number, Flight>();
  private readonly queue: Flight[] = [];
  private readonly rrP: RouteState = { next: 0 };
  private readonly rrD: RouteState = { next: 0 };
  private readonly rrC: RouteState = { next: 0 };
  private flightsAborted = 0;

  constructor(
    private readonly sim: Simulator,
    readonly prefills: readonly EngineInstance[],
    readonly decodes: readonly EngineInstance[],
    readonly colocated: readonly EngineInstance[],
    private readonly sink: DisaggSink,
    private readonly mgr: KvTransferManager,
    private readonly counters: PdCounters,
    private readonly o: PdOptions,
  ) {
    this.instances = [...prefills, ...decodes, ...colocated];
    this.order = sinkOrderOf(sim);
  }

  /**
   * The run's order of held sink calls (sink-buffer.ts): a decode engine's planned segment holds its
   * calls, so every call made here for now comes after a drain to now, as the engines' own do.
   */
  private readonly order: SinkOrder;

  /** Flights whose KV has not landed yet. */
  get pendingTransfers(): number {
    return this.flights.size;
  }
  get decodeQueueLength(): number {
    return this.queue.length;
  }

  submit(spec: RequestSpec): void {
    const o = this.o;
    const keys = o.keyed ? blockKeys(spec.promptTokens, spec.prefixHashes, spec.prefixBlockTokens, o.blockSizeTokens) : NO_BLOCK_KEYS;
    const req = new RequestState(spec, keys);
    if (spec.promptTokens < o.thresholdTokens) {
      const local = this.colocated.length > 0 ? this.colocated : this.decodes;
      pickInstance(o.policy, local, this.rrC, o.streams.colocated, keys, spec.promptTokens).submit(req);
      return;
    }
    const reason = this.decodes[0]!.rejectReason(spec.promptTokens, spec.outputTokens);
    if (reason !== undefined) {
      this.order.drain(this.sim.now);
      this.sink.finish(req, this.sim.now, 'router', `decode: ${reason}`);
      return;
    }
    pickInstance(o.policy, this.prefills, this.rrP, o.streams.prefill, keys, spec.promptTokens).submit(req);
  }

  submitDecodeLeg(spec: RequestSpec): void {
    if (!admitDecodeLeg(spec, this.decodeOrder(), this.sim.now)) this.submit(spec);
  }

  abort(id: number): boolean {
    const f = this.flights.get(id);
    if (f !== undefined) {
      if (f.aborted) return false;
      f.aborted = true;
      return true;
    }
    for (const inst of this.instances) if (inst.abort(id)) return true;
    return false;
  }

  get abortedCount(): number {
    return abortedOf(this.instances) + this.flightsAborted;
  }

  /** Prefill hook: the iteration completing `req`'s prompt starts; its transfer is scheduled. */
  onPrefillIteration(prefill: EngineInstance, req: RequestState, startS: number, bd: IterationTimes): void {
    const o = this.o;
    // Per-iteration work outside the layers (scheduling, input preparation) is placed first, so the
    // last layer ends with the iteration.
    // A counted loop: Array.from over an array-like with a mapping callback was ~3 % of a P/D run.
    const n = o.transferPolicy === 'layerwise' ? o.numLayers : 1;
    const due = new Array<number>(n);
    for (let i = 0; i < n - 1; i++) due[i] = startS + (bd.outsideLayersMs + (i + 1) * bd.perLayerMs) / 1000;
    due[n - 1] = startS + bd.totalMs / 1000;
    // Launched once the decode side is asked for: a layer chain can then be computed with it known.
    const transfer = this.mgr.begin(req, o.gpusOf.get(prefill)!, due, true);
    const f: Flight = { req, prefill, transfer, dreq: new RequestState(req.spec, NO_BLOCK_KEYS), decode: null, wantS: NaN, reservedS: NaN, legS: NaN, aborted: false };
    this.flights.set(req.spec.id, f);
    if (o.transferPolicy === 'layerwise') this.requestDecode(f);
    this.mgr.launch(transfer);
  }

  /** Prefill hook: the prompt's KV is complete. */
  onPrefillDone(req: RequestState, timeS: number): void {
    const f = this.flights.get(req.spec.id)!;
    const legS = (this.o.decodeLegMs ?? 0) / 1000;
    f.legS = timeS + legS;
    if (this.o.transferPolicy === 'whole') {
      if (legS > 0) this.sim.schedule(legS, () => this.requestDecode(f));
      else this.requestDecode(f);
    }
    this.mgr.prefillDone(f.transfer, timeS, f.legS);
  }

  /** Decode hook: a request left a decode instance; queued flights may now get its blocks. */
  onDecodeLeave(): void {
    while (this.queue.length > 0 && this.tryReserve(this.queue[0]!)) this.queue.shift();
  }

  /** Transfer callback: the source legs are done; the prefill instance frees the blocks. */
  onSourceFree(t: Transfer): void {
    this.flights.get(t.req.spec.id)!.prefill.releaseHandedOff(t.req);
  }

  /** Transfer callback: the KV landed on the decode instance. */
  onReady(t: Transfer): void {
    const f = this.flights.get(t.req.spec.id)!;
    // A layer-wise push can land before the decode leg has reached D's engine.
    if (this.sim.now < f.legS) this.sim.scheduleAt(f.legS, () => this.admit(f, t));
    else this.admit(f, t);
  }

  private admit(f: Flight, t: Transfer): void {
    this.flights.delete(t.req.spec.id);
    const { req, dreq } = f;
    const decode = f.decode!;
    this.order.drain(this.sim.now);
    if (f.aborted) {
      this.flightsAborted++;
      decode.releaseReserved(dreq);
      this.sink.finish(req, this.sim.now, decode.name, messages.abortedReason());
      return;
    }
    // The decode side samples the client's first token itself (admitRemote: a 1-token recompute
    // step), so TTFT is what vLLM's proxy measures; the prefill's own token is kept apart.
    dreq.cachedPromptTokens = req.cachedPromptTokens;
    dreq.preemptions = req.preemptions;
    const o = transferOutcome(t, f.reservedS, f.wantS, req.firstTokenS! - req.spec.arrivalS);
    this.counters.transferred(o);
    this.sink.extras.set(req.spec.id, {
      replica: this.pairName(f.prefill, decode),
      prefillFirstTokenS: req.firstTokenS,
      kvTransferMs: round3(o.transferMs),
      kvExposedMs: round3(o.exposedMs),
      kvLinkExposedMs: round3(o.linkExposedMs),
      kvReservationWaitMs: round3(o.reservationWaitMs),
      kvStagingWaitMs: round3(o.stagingWaitMs),
    });
    if (t.channels !== null) for (const [ch, seg] of t.channels) this.sink.segment({ resource: ch, kind: 'transfer', startS: seg.startS, endS: seg.endS });
    decode.admitRemote(dreq);
  }

  /** `prefill->decode` names, built once per pair (a template string per landed transfer before). */
  private readonly pairNames = new Map<EngineInstance, Map<EngineInstance, string>>();

  private pairName(p: EngineInstance, d: EngineInstance): string {
    let byD = this.pairNames.get(p);
    if (byD === undefined) this.pairNames.set(p, (byD = new Map()));
    let name = byD.get(d);
    if (name === undefined) byD.set(d, (name = `${p.name}->${d.name}`));
    return name;
  }

  /** Decode instances in the order a reservation tries them: the router's pick, then the rest. */
  private decodeOrder(): readonly EngineInstance[] {
    const first = pickInstance(this.o.policy, this.decodes, this.rrD, this.o.streams.decode, NO_BLOCK_KEYS);
    // One decode instance (the pick is it): no new arrays. Every queued flight asks at each decode leave.
    if (this.decodes.length === 1) return this.decodes;
    return [first, ...this.decodes.filter((x) => x !== first)];
  }

  private tryReserve(f: Flight): boolean {
    for (const d of this.decodeOrder()) {
      if (d.reserveForRemote(f.dreq, f.transfer.tokens)) {
        f.decode = d;
        f.reservedS = this.sim.now;
        this.counters.reserved(this.sim.now - f.wantS);
        this.mgr.setDestination(f.transfer, this.o.gpusOf.get(d)!);
        return true;
      }
    }
    return false;
  }

  private requestDecode(f: Flight): void {
    f.wantS = this.sim.now;
    if (this.queue.length > 0 || !this.tryReserve(f)) {
      this.queue.push(f);
      this.counters.queued(this.queue.length);
    }
  }
}

/** A landed transfer's figures (docs/metrics.md, "KV transfer"). */
export function transferOutcome(t: Transfer, reservedS: number, wantS: number, prefillTtftS: number): TransferOutcome {
  const prefillDoneS = t.prefillDoneS!;
  const spanS = t.doneS - t.firstDueS;
  const unblockedS = Math.max(prefillDoneS, reservedS, Number.isNaN(t.stagingLastGrantS) ? -Infinity : t.stagingLastGrantS);
  return {
    bytes: t.bytes,
    transferMs: spanS * 1000,
    exposedMs: (t.doneS - prefillDoneS) * 1000,
    linkExposedMs: Math.max(0, t.doneS - unblockedS) * 1000,
    reservationWaitMs: (reservedS - wantS) * 1000,
    stagingWaitMs: t.stagingWaitS * 1000,
    hiddenMs: Math.min(spanS, Math.max(0, prefillDoneS - t.firstDueS)) * 1000,
    prefillTtftMs: prefillTtftS * 1000,
  };
}
