/**
 * Moves one request's KV from its prefill GPUs to its decode GPUs as flows on the flow network.
 *
 * The KV is cut into chunks: one (whole: all layers, when prefill ends) or one per layer
 * (layer-wise: layer i leaves when layer i's compute ends). Each chunk goes shard by shard (TP
 * rank k of the prefill instance to rank k mod tp of the decode instance) along the path:
 *   direct / network: one flow GPU -> GPU (NVLink, PCIe P2P, host bounce, or RDMA), which needs the
 *     decode blocks reserved first;
 *   staging: D2H into the CPU pinned staging buffer (pages reserved first: back-pressure when full),
 *     then H2D into the decode GPU once its blocks are reserved; pages are freed after the H2D;
 *   disk: GPU -> shared disk, then disk -> decode GPU (LMCache-style shared store). The prompt is
 *     stored in `chunkTokens` chunks (LMCache `chunk_size`, 256), whole chunks only (LMCache
 *     `save_unfull_chunk` False; vllm-engine-facts.md 5): the tail is not moved and the decode side
 *     recomputes it. With the whole policy every chunk is one flow, all put at prefill end (LMCache
 *     stores a request's chunks in one batched put), so they share the disk's bandwidth max-min; the
 *     decode side reads a chunk once it is written.
 * The source blocks are released when every source-side leg is done; the KV is ready when every
 * destination-side leg is done.
 *
 * A layer-wise staging transfer whose every chunk would move alone on its links (the common case at
 * moderate load) is run as a layer chain (layer-chain.ts): its 32 x 3 chunk steps are computed when
 * its first chunk falls due (the decode side known) and applied in two events, not ~100.
 */
import type { Simulator } from '../../kernel/simulator.js';
import type { ChannelSegment, FlowNetwork } from '../../hardware/flow-network.js';
import type { Endpoint, Route, Topology } from '../../hardware/topology.js';
import { TAKEN_BY_COUNT, type Reservation, type StagingBuffer } from '../../kv/staging-buffer.js';
import type { RequestState } from '../request-state.js';
import { EventPriority } from '../event-priorities.js';
import { LayerChain, type ChainHost } from './layer-chain.js';
import { runMatesEpisode, type EpisodeHost } from './mates-episode.js';
import type { Transfer } from './transfer.js';

export type { Transfer } from './transfer.js';

export type TransferPolicy = 'whole' | 'layerwise';
export type TransferPath = 'direct' | 'staging' | 'network' | 'disk';

export interface TransferConfig {
  policy: TransferPolicy;
  path: TransferPath;
  hostMemory: 'pinned' | 'pageable';
  numLayers: number;
  /** KV bytes of one token in one layer, all heads (split evenly over the source's TP ranks). */
  kvBytesPerTokenPerLayer: number;
  /** disk: tokens per stored chunk (LMCache chunk_size; default 256). */
  chunkTokens?: number;
}

/** LMCache's default `chunk_size` (lmcache/v1/config.py; vllm-engine-facts.md 5). */
export const LMCACHE_CHUNK_TOKENS = 256;


export interface TransferCallbacks {
  onSourceFree(t: Transfer): void;
  onReady(t: Transfer): void;
}


export class KvTransferManager {
  private readonly byTag = new Map<string, Transfer>();
  private readonly routes = new Map<string, Route>();

  constructor(
    private readonly sim: Simulator,
    private readonly net: FlowNetwork,
    private readonly topo: Topology,
    readonly cfg: TransferConfig,
    /** The staging buffer a source GPU writes into (path staging), by GPU index. */
    private readonly stagingOf: (srcGpu: number) => StagingBuffer | undefined,
    private readonly cb: TransferCallbacks,
    /** Layer chains allowed (fast paths on; one staging buffer, so one occupancy series in time order). */
    private readonly chains = false,
  ) {
    this.chainContext = {
      sim,
      net,
      routes: (t) => (t.dstGpus === null ? [this.routesFor(t.srcGpus[0]!, t.srcGpus[0]!)[0]!] : this.routesFor(t.srcGpus[0]!, t.dstGpus[0]!)),
      staging: (t) => this.stagingOf(t.srcGpus[0]!),
      check: (t, atS) => this.check(t, atS),
      scheduleDueFrom: (t, from) => this.scheduleDueFrom(t, from),
      afterSourceLeg: (t, res) => this.afterSourceLeg(t, 0, t.shardBytes, res),
      afterPull: (t, res) => this.afterPull(t, t.srcGpus[0]!, res),
    };
    this.episodeHost = { sim, net, routes: (src, dst) => this.routesFor(src, dst), staging: (t) => this.stagingOf(t.srcGpus[0]!) };
  }

  /** What a batch-mates' episode needs of this manager (bound once). */
  private readonly episodeHost: EpisodeHost;

  /** Chunk count of one transfer. */
  get chunks(): number {
    return this.cfg.policy === 'layerwise' ? this.cfg.numLayers : 1;
  }

  /** Prompt tokens a transfer moves: disk keeps whole chunks only, the other paths the whole prompt. */
  storedTokens(promptTokens: number): number {
    if (this.cfg.path !== 'disk') return promptTokens;
    const c = this.cfg.chunkTokens ?? LMCACHE_CHUNK_TOKENS;
    return Math.floor(promptTokens / c) * c;
  }

  /** Bytes of one chunk of one shard for a prompt of `tokens` tokens from `tp` ranks. */
  shardChunkBytes(tokens: number, tp: number): number {
    return (tokens * this.cfg.kvBytesPerTokenPerLayer * (this.cfg.numLayers / this.chunks)) / tp;
  }

  /** Routes by GPU pair (src * 65536 + dst): every chunk leg asks, so the answer is built once per pair. */
  private readonly routesByPair = new Map<number, Route[]>();

  /** Every route a transfer between these GPUs uses (throws UserError when there is none). */
  routesFor(src: number, dst: number): Route[] {
    const k = src * 65536 + dst;
    let r = this.routesByPair.get(k);
    if (r === undefined) this.routesByPair.set(k, (r = this.buildRoutes(src, dst)));
    return r;
  }

  private buildRoutes(src: number, dst: number): Route[] {
    const hostOf = (g: number): Endpoint => ({ host: this.topo.nodeOfGpu(g) });
    const diskOf = (g: number): Endpoint => ({ disk: this.topo.disksOfNode(this.topo.nodeOfGpu(g))[0]! });
    const opt = { hostMemory: this.cfg.hostMemory };
    switch (this.cfg.path) {
      case 'direct':
      case 'network':
        return [this.route(`g${src}-g${dst}`, () => this.topo.path({ gpu: src }, { gpu: dst }))];
      case 'staging':
        return [this.route(`g${src}-h`, () => this.topo.path({ gpu: src }, hostOf(src), opt)), this.route(`h${src}-g${dst}`, () => this.topo.path(hostOf(src), { gpu: dst }, opt))];
      case 'disk':
        return [this.route(`g${src}-d`, () => this.topo.path({ gpu: src }, diskOf(src))), this.route(`d${src}-g${dst}`, () => this.topo.path(diskOf(src), { gpu: dst }))];
    }
  }

  private route(key: string, make: () => Route): Route {
    let r = this.routes.get(key);
    if (!r) this.routes.set(key, (r = make()));
    return r;
  }

  /** The transfer begun last (to tell batch-mates). */
  private lastBegun: Transfer | null = null;

  /** A transfer begun with `launchLater` whose launch() has not come yet. */
  private unlaunched: Transfer | null = null;

  /**
   * Starts a transfer whose chunks become due at `dueS` (one time per chunk, non-decreasing, >= now).
   * `launchLater`: its chunks are scheduled by launch(), which the caller makes once it has asked for
   * the decode side (in the same event, before any other transfer begins), so a layer chain can be
   * computed then, with its destination known, instead of at the first chunk's due event.
   */
  begin(req: RequestState, srcGpus: readonly number[], dueS: readonly number[], launchLater = false): Transfer {
    if (this.unlaunched !== null) this.launch(this.unlaunched);
    const tp = srcGpus.length;
    const tokens = this.storedTokens(req.spec.promptTokens);
    // disk + whole: one flow per stored chunk (all due at prefill end); otherwise one per due time.
    const pieces = tokens === 0 ? 0 : this.cfg.path === 'disk' && this.cfg.policy === 'whole' ? tokens / (this.cfg.chunkTokens ?? LMCACHE_CHUNK_TOKENS) : 1;
    const shardBytes = pieces > 0 ? this.shardChunkBytes(tokens, tp) / pieces : 0;
    const legs = dueS.length * tp * pieces;
    const t: Transfer = {
      req, tag: tag(req), srcGpus, dstGpus: null, bytes: shardBytes * legs, tokens, shardBytes, firstDueS: dueS[0]!, firstMoveS: NaN, doneS: NaN, prefillDoneS: null,
      srcReleased: false, ready: false, srcLeft: legs, dstLeft: legs, stagingWaitS: 0, stagingLastGrantS: NaN, channels: null, waiting: [],
      dueS, pieces, launched: 0, dueEvent: null, chain: null, batched: false, mates: null, led: false,
    };
    // A chain made for the first of two batch-mates would be handed back at once by the second.
    const last = this.lastBegun;
    if (last !== null && last.launched === 0 && last.dueS[0] === dueS[0] && last.srcGpus === srcGpus) {
      last.batched = t.batched = true;
      // Its chain, computed ahead at launch (no step applied: its first is still to come), is handed
      // back: its first chunk's due event is scheduled, which the mates then share.
      last.chain?.materialize();
    }
    this.lastBegun = t;
    // Looked up only by onSegment: a network without a segment listener (no timeline) never calls it.
    if (this.net.reportsSegments) this.byTag.set(t.tag, t);
    if (legs === 0) return t; // nothing stored (a prompt shorter than one chunk): ready once prefill ends and decode reserved
    if (t.batched && this.joinMates(last!, t)) return t;
    if (launchLater) this.unlaunched = t;
    else this.scheduleDueFrom(t, 0);
    return t;
  }

  /**
   * Schedules a transfer begun with `launchLater`: a layer chain computed now, ahead of its first
   * chunk (layer-chain.ts, `ahead`: it claims its links and buffer from now, so whoever touches them
   * before the chunk is due hands it back, and the chunk's due event is scheduled then), else the
   * first chunk's due event. A transfer that joined batch-mates, or moves nothing, has nothing to launch.
   */
  launch(t: Transfer): void {
    if (this.unlaunched !== t) return;
    this.unlaunched = null;
    if (this.chainable(t)) {
      t.chain = LayerChain.plan(t, this.chainContext, 0, true);
      if (t.chain !== null) return;
    }
    this.scheduleDueFrom(t, 0);
  }

  /** Whether a layer chain may be tried for `t` (fast paths, layer-wise staging, no batch-mates). */
  private chainable(t: Transfer): boolean {
    return !t.batched && this.chains && this.cfg.path === 'staging' && this.cfg.policy === 'layerwise';
  }

  /**
   * Batch-mates due at the very same times share the first one's events (fast paths, layer-wise
   * staging): their separate due events would run back to back, in begin order, with nothing between
   * them (same time, same priority), and a layer's chunks may then run as one flow episode.
   */
  private joinMates(last: Transfer, t: Transfer): boolean {
    if (!this.chains || this.cfg.path !== 'staging' || this.cfg.policy !== 'layerwise') return false;
    const lead = last.led ? last.mates![0]! : last;
    if (lead.dueEvent === null || lead.launched !== 0 || lead.pieces !== t.pieces || !sameTimes(lead.dueS, t.dueS)) return false;
    (lead.mates ??= [lead]).push(t);
    t.mates = lead.mates;
    t.led = true;
    return true;
  }

  /**
   * Layer `launched` of a group of batch-mates falls due: one flow episode (flow-episode.ts) when
   * nothing else can act before it ends, else every mate's chunks in begin order, as their own
   * events would have launched them (each would have scheduled its next chunk in between).
   * After an episode, the layers due next run as episodes at their own due times in this event
   * while each ends before any pending event (the next layer's event would be the next to run,
   * and would find the network and buffer as the episode before left them).
   */
  private groupDue(lead: Transfer): void {
    lead.dueEvent = null;
    const mates = lead.mates!;
    const L = lead.dueS.length;
    let i = lead.launched;
    if (i + 1 < L && runMatesEpisode(this.episodeHost, mates, i, this.sim.now)) {
      i++;
      while (i + 1 < L && runMatesEpisode(this.episodeHost, mates, i, lead.dueS[i]!)) i++;
    } else {
      const more = i + 1 < L;
      for (const t of mates) {
        for (let p = 0; p < t.pieces; p++) for (let k = 0; k < t.srcGpus.length; k++) this.launchSource(t, k, t.shardBytes);
        if (more) this.net.separateActivations();
      }
      i++;
    }
    for (const t of mates) t.launched = i;
    if (i < L) lead.dueEvent = this.sim.scheduleAt(lead.dueS[i]!, () => this.groupDue(lead), EventPriority.kvChunkDue);
  }

  /**
   * Schedules chunk `from` and, from its event, the ones after it: one pending event per transfer
   * (due times are non-decreasing), so a 32-layer transfer holds one queue slot and one closure, not 32.
   */
  scheduleDueFrom(t: Transfer, from: number): void {
    t.launched = from;
    const due = (): void => {
      if (t.mates !== null) return this.groupDue(t);
      t.dueEvent = null;
      // A chunk falls due: the schedule of it and the ones after may be computed now (layer-chain.ts;
      // after the first, when a chain was handed back or could not be made then).
      if (this.chainable(t)) {
        t.chain = LayerChain.plan(t, this.chainContext, t.launched);
        if (t.chain !== null) return;
      }
      for (let p = 0; p < t.pieces; p++) for (let k = 0; k < t.srcGpus.length; k++) this.launchSource(t, k, t.shardBytes);
      if (++t.launched < t.dueS.length) t.dueEvent = this.sim.scheduleAt(t.dueS[t.launched]!, due, EventPriority.kvChunkDue);
    };
    t.dueEvent = this.sim.scheduleAt(t.dueS[from]!, due, EventPriority.kvChunkDue);
  }

  /** The decode side has reserved blocks on these GPUs: legs waiting for it may go. */
  setDestination(t: Transfer, dstGpus: readonly number[]): void {
    // A chain of copies only (layer-chain.ts) hands back the chunks copied so far, as waiting legs.
    t.chain?.materialize();
    t.dstGpus = dstGpus;
    const shardBytes = t.shardBytes;
    // The legs waiting now, in order (no copy: none is added meanwhile, as starting flows calls nothing back).
    const waiting = t.waiting;
    const n = waiting.length;
    if (n >= 2 && this.pullBurst(t, n)) {
      waiting.length = 0;
      this.check(t);
      return;
    }
    for (let i = 0; i < n; i++) {
      const w = waiting[i]!;
      if (this.cfg.path === 'direct' || this.cfg.path === 'network') this.flowDirect(t, w.shard, shardBytes);
      else this.pull(t, w.shard, shardBytes, w.res);
    }
    if (waiting.length === n) {
      if (n > 0) waiting.length = 0;
    } else waiting.splice(0, n);
    this.check(t);
  }

  /**
   * A late reservation's staged chunks (one source GPU, one destination) pulled as one burst of
   * equal flows (FlowNetwork.startBurst: one event instead of an activation, a completion and 32
   * flows), where the network can hold it; false, nothing done, otherwise. Fast paths only.
   */
  private pullBurst(t: Transfer, n: number): boolean {
    if (!this.chains || this.cfg.path !== 'staging' || t.srcGpus.length !== 1 || t.dstGpus!.length !== 1) return false;
    const src = t.srcGpus[0]!;
    const r = this.routesFor(src, t.dstGpus![0]!)[1]!;
    const res = new Array<Reservation | undefined>(n);
    for (let i = 0; i < n; i++) res[i] = t.waiting[i]!.res;
    const spec = { path: r.path, bytes: t.shardBytes, latencyS: r.latencyS, rateCapBytesPerS: r.rateCapBytesPerS, tag: t.tag };
    if (!this.net.startBurst(spec, n, (k) => this.afterPull(t, src, res[k]))) return false;
    if (Number.isNaN(t.firstMoveS)) t.firstMoveS = this.sim.now;
    return true;
  }

  /** The prompt's KV is complete at `timeS`; the decode side takes the KV no earlier than `readyNotBeforeS`. */
  prefillDone(t: Transfer, timeS: number, readyNotBeforeS = timeS): void {
    t.chain?.advance();
    t.prefillDoneS = timeS;
    this.check(t);
    t.chain?.deferFinish(readyNotBeforeS);
  }

  /** What a layer chain needs of this manager (bound once, in the constructor). */
  private readonly chainContext: ChainHost;

  /** Flow-network segment listener: folds a transfer's segments into one bar per channel. */
  onSegment(seg: ChannelSegment): void {
    const t = this.byTag.get(seg.tag);
    if (!t) return;
    const channels = (t.channels ??= new Map());
    const c = channels.get(seg.channelId);
    if (!c) channels.set(seg.channelId, { startS: seg.startS, endS: seg.endS });
    else {
      c.startS = Math.min(c.startS, seg.startS);
      c.endS = Math.max(c.endS, seg.endS);
    }
  }

  private launchSource(t: Transfer, shard: number, bytes: number): void {
    if (this.cfg.path === 'direct' || this.cfg.path === 'network') {
      if (t.dstGpus === null) t.waiting.push({ shard });
      else this.flowDirect(t, shard, bytes);
      return;
    }
    const push = (res?: Reservation) => {
      const [leg1] = this.routesFor(t.srcGpus[shard]!, t.srcGpus[shard]!);
      this.flow(t, leg1!, bytes, () => this.afterSourceLeg(t, shard, bytes, res));
    };
    const buf = this.stagingOf(t.srcGpus[shard]!);
    const askS = this.sim.now;
    // Pages free and nobody queued: taken now and the D2H leg starts in this event (no grant event).
    const granted = buf?.reserveNow(t.req.spec.id, bytes);
    if (granted) push(granted);
    else if (buf) buf.reserve(t.req.spec.id, bytes, (res) => {
      // Chunks ask in order and the buffer grants FIFO, so the union of their waits adds up
      // incrementally from the last grant.
      const now = this.sim.now;
      if (now > askS) {
        t.stagingWaitS += Math.max(0, now - Math.max(askS, Number.isNaN(t.stagingLastGrantS) ? askS : t.stagingLastGrantS));
        t.stagingLastGrantS = now;
      }
      push(res);
    });
    else push();
  }

  /** A staged chunk's D2H leg is done: it is pulled once the decode side is known. */
  afterSourceLeg(t: Transfer, shard: number, bytes: number, res?: Reservation): void {
    t.srcLeft--;
    if (t.dstGpus === null) t.waiting.push({ shard, res });
    else this.pull(t, shard, bytes, res);
    this.check(t);
  }

  /** A chunk's destination leg is done: its staging pages go back. */
  afterPull(t: Transfer, src: number, res?: Reservation): void {
    if (res === TAKEN_BY_COUNT) {
      // As free() does for a reservation: its claimant settles first, then the pages go back now.
      const buf = this.stagingOf(src)!;
      buf.claim?.materialize();
      buf.freeTakenAt(t.req.spec.id, t.shardBytes, this.sim.now);
    } else if (res) this.stagingOf(src)!.free(res);
    t.dstLeft--;
    this.check(t);
  }

  private flowDirect(t: Transfer, shard: number, bytes: number): void {
    const src = t.srcGpus[shard]!;
    const dst = t.dstGpus![shard % t.dstGpus!.length]!;
    this.flow(t, this.routesFor(src, dst)[0]!, bytes, () => {
      t.srcLeft--;
      t.dstLeft--;
      this.check(t);
    });
  }

  private pull(t: Transfer, shard: number, bytes: number, res?: Reservation): void {
    const src = t.srcGpus[shard]!;
    const dst = t.dstGpus![shard % t.dstGpus!.length]!;
    this.flow(t, this.routesFor(src, dst)[1]!, bytes, () => this.afterPull(t, src, res));
  }

  private flow(t: Transfer, r: Route, bytes: number, onDone: () => void): void {
    if (Number.isNaN(t.firstMoveS)) t.firstMoveS = this.sim.now;
    this.net.startFlow({ path: r.path, bytes, latencyS: r.latencyS, rateCapBytesPerS: r.rateCapBytesPerS, tag: t.tag, onDone });
  }

  /** `atS`: when the leg that may complete it ended (a layer chain applies legs after their time). */
  private check(t: Transfer, atS = this.sim.now): void {
    if (t.prefillDoneS === null) return;
    if (t.srcLeft === 0 && !t.srcReleased) {
      t.srcReleased = true;
      this.cb.onSourceFree(t);
    }
    if (t.dstLeft === 0 && !t.ready && t.dstGpus !== null) {
      t.ready = true;
      t.doneS = atS;
      if (this.net.reportsSegments) this.byTag.delete(t.tag);
      this.cb.onReady(t);
    }
  }
}

function sameTimes(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function tag(req: RequestState): string {
  return `kv r${req.spec.id}`;
}
