/**
 * One layer of a group of batch-mates (prompts completed in one prefill iteration, so their
 * layer-wise chunks fall due at the same instants) run as one flow episode (flow-episode.ts):
 * every mate's chunk takes its staging pages, is copied D2H and pulled H2D, sharing the links with
 * the others in the max-min allocation. Chunk by chunk that is ~4 kernel events per chunk and leg;
 * here it is computed inside the layer's due event and applied at once (staging takes and frees
 * with their own times, the transfers' leg counters), which is exact when nothing else can act
 * before the layer's last flow ends: no kernel event can act before then (see below)
 * and the next layer falls due after it, the allocation is otherwise empty, and no mate can report
 * anything (prefill not done, so check() is silent). A mate whose decode side is reserved is copied
 * and pulled; one not reserved yet is copied only (its chunk waits in staging for its pull, as
 * afterSourceLeg leaves it; the reservation comes from an event, so not within the episode), and a
 * group may hold both kinds. "No event before then" is the kernel's horizon (Simulator.peekHorizon):
 * a client send, in its lane, acts only through the submit its front end schedules a lead later.
 * The last layer, whose ends free the source and land the KV, always runs chunk by chunk. pd-fast-path.test.ts compares the whole run with step-by-step simulation.
 */
import type { Simulator } from '../../kernel/simulator.js';
import type { FlowNetwork } from '../../hardware/flow-network.js';
import type { Route } from '../../hardware/topology.js';
import { TAKEN_BY_COUNT, type Reservation, type StagingBuffer } from '../../kv/staging-buffer.js';
import type { Transfer } from './transfer.js';
import { settleFinished } from './layer-chain.js';

/** What an episode needs of its transfer manager. */
export interface EpisodeHost {
  sim: Simulator;
  net: FlowNetwork;
  routes(src: number, dst: number): Route[];
  staging(t: Transfer): StagingBuffer | undefined;
}

/** Episodes run, process-wide (tests check the path ran). */
export const episodeCounts = { run: 0, copyOnly: 0, mixed: 0, ahead: 0, pastLane: 0 };

const bytes: number[] = [];
/** Whether each mate's decode side is reserved (its chunk is pulled in the episode). */
const pulls: boolean[] = [];
/** Each mate's pages: its reservation, or null when taken by count. */
const held: (Reservation | null)[] = [];

/**
 * Runs layer `layer` of `mates` as one episode and returns true, or false with nothing changed.
 * `startS`: the layer's due time, now or (when the caller knows no event runs before then) later.
 */
export function runMatesEpisode(host: EpisodeHost, mates: readonly Transfer[], layer: number, startS: number): boolean {
  const lead = mates[0]!;
  if (lead.srcGpus.length !== 1 || lead.pieces !== 1 || (lead.dstGpus !== null && lead.dstGpus.length !== 1)) return false;
  const buf = host.staging(lead);
  if (buf === undefined) return false;
  if (buf.claim !== null) settleFinished(buf, host.sim.now);
  if (buf.claim !== null) return false;
  // The reserved mates' one decode GPU (-1: none reserved yet, copies only); a mate not reserved is copied only.
  let dst = -1;
  let reserved = 0;
  let pages = 0;
  const n = mates.length;
  for (let i = 0; i < n; i++) {
    const t = mates[i]!;
    if (t.prefillDoneS !== null || t.chain !== null) return false;
    const d = t.dstGpus;
    if (d !== null) {
      if (d.length !== 1 || (dst >= 0 && d[0]! !== dst)) return false;
      dst = d[0]!;
      reserved++;
    }
    pulls[i] = d !== null;
    pages += buf.pagesFor(t.shardBytes);
    bytes[i] = t.shardBytes;
  }
  // Set only when it changes (`length =` is a runtime call, and a group has the same mates at every layer).
  if (bytes.length !== n) bytes.length = pulls.length = n;
  if (pages > buf.freePagesUnqueued) return false;
  const { sim, net } = host;
  const src = lead.srcGpus[0]!;
  const copyOnly = reserved === 0;
  // The D2H route does not depend on the destination (KvTransferManager.launchSource asks src -> src).
  const [r1, r2] = host.routes(src, copyOnly ? src : dst) as [Route, Route];
  // Lane events (client sends) act here only through events they schedule at least their lead later (Simulator.peekHorizon).
  const beforeS = Math.min(lead.dueS[layer + 1]!, sim.peekHorizon());
  if (!(startS < beforeS)) return false;
  const ep = copyOnly
    ? net.runEpisode(r1.path, r1.latencyS, r1.rateCapBytesPerS ?? Infinity, null, 0, 0, bytes, beforeS, startS)
    : net.runEpisode(r1.path, r1.latencyS, r1.rateCapBytesPerS ?? Infinity, r2.path, r2.latencyS, r2.rateCapBytesPerS ?? Infinity, bytes, beforeS, startS, reserved === n ? null : pulls);
  if (ep === null) return false;
  episodeCounts.run++;
  if (startS > sim.now) episodeCounts.ahead++;
  if (copyOnly) episodeCounts.copyOnly++;
  else if (reserved < n) episodeCounts.mixed++;
  // A pending event before its end is a lane's (main-queue ones bound it): the horizon let it run.
  if (sim.peekTime() < ep.endS) episodeCounts.pastLane++;
  net.commitEpisode(ep);
  const now = startS;
  // Counts-only buffer: pages taken by count, each freed by count when pulled or handed over as a
  // reservation when it waits in staging (nothing else runs in between: all is applied here).
  const byCount = !buf.keepsPageNumbers;
  for (let i = 0; i < n; i++) {
    const t = mates[i]!;
    // As each mate's chunk launch did: its pages now (they fit: counted above), its first move now.
    const r = byCount ? (buf.takeAt(t.req.spec.id, t.shardBytes, now) ? null : undefined) : buf.reserveAt(t.req.spec.id, t.shardBytes, now);
    if (r === undefined || (!byCount && r === null)) throw new Error(`mates episode bug: request ${t.req.spec.id} layer ${layer}: staging pages not free`);
    held[i] = r;
    if (Number.isNaN(t.firstMoveS)) t.firstMoveS = now;
  }
  for (let k = 0; k < ep.doneCount; k++) {
    const pair = ep.donePair[k]!;
    const t = mates[pair]!;
    const r = held[pair] ?? null;
    if (!ep.doneSecond[k]) {
      t.srcLeft--;
      // As afterSourceLeg with no destination yet: the staged chunk waits for its pull.
      if (!pulls[pair]) t.waiting.push({ shard: 0, res: r ?? TAKEN_BY_COUNT });
    } else {
      if (r === null) buf.freeTakenAt(t.req.spec.id, t.shardBytes, ep.doneS[k]!);
      else buf.freeAt(r, ep.doneS[k]!);
      t.dstLeft--;
    }
  }
  return true;
}
