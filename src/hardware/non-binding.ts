/**
 * Which channels of a topology can never limit a rate (kv-tiers' host DRAM: one GPU's PCIe and a
 * disk cannot fill 162 GB/s), so the flow network may keep them out of its max-min solve
 * (FlowAllocation.markNonBinding) and only account them (flow-free.ts).
 *
 * The bound is LP-dual style. Over every route the topology admits (all ordered pairs of its GPUs,
 * disks and host memories: more than the builders ask for, so conservative), the load on channel c
 * is sum_R w_Rc x_R, where x_R is the total rate of route R's flows and w_Rc its crossings of c.
 * Every other channel d caps sum_R w_Rd x_R <= cap_d. So any y >= 0 with sum_d w_Rd y_d >= w_Rc for
 * every route R through c bounds the load by sum_d y_d cap_d (weak duality). y is built greedily:
 * a route not yet covered raises the y of its cheapest witness d (least cap_d / w_Rd) to w_Rc / w_Rd;
 * every y_d then stays at or below max_R w_Rc / w_Rd, the plain "sum of the sharing channels'
 * capacities" bound. A route through c alone (or only through c) makes c binding. A duplex-coupled
 * channel is never freed (its partner's activity changes its capacity).
 */
import type { Endpoint, Route } from './route.js';

/** What the bound needs of a topology (Topology implements it). */
export interface RouteSource {
  readonly channels: readonly { id: string; capacityBytesPerS: number }[];
  readonly duplexCouplings: readonly { a: string; b: string }[];
  endpoints(): Endpoint[];
  /** Null where the topology has no path between the two. */
  tryPath(from: Endpoint, to: Endpoint): Route | null;
}

/** Each channel's bound on the load it can carry (Infinity where none, 0 on a channel no route crosses), by id. */
export function loadBounds(topo: RouteSource): Map<string, number> {
  const cap = new Map(topo.channels.map((c) => [c.id, c.capacityBytesPerS]));
  const routes: Map<string, number>[] = [];
  const ends = topo.endpoints();
  for (const a of ends) {
    for (const b of ends) {
      if (a === b) continue;
      const r = topo.tryPath(a, b);
      if (r === null || r.path.length === 0) continue;
      const w = new Map<string, number>();
      for (const id of r.path) w.set(id, (w.get(id) ?? 0) + 1);
      routes.push(w);
    }
  }
  const bounds = new Map<string, number>();
  for (const { id } of topo.channels) {
    const y = new Map<string, number>();
    let bound = 0;
    for (const w of routes) {
      const wc = w.get(id);
      if (wc === undefined) continue;
      let covered = 0;
      let witness: string | null = null;
      for (const [d, wd] of w) {
        if (d === id) continue;
        covered += wd * (y.get(d) ?? 0);
        if (witness === null || cap.get(d)! / wd < cap.get(witness)! / w.get(witness)!) witness = d;
      }
      if (witness === null) {
        bound = Infinity;
        break;
      }
      if (covered >= wc) continue;
      y.set(witness, Math.max(y.get(witness) ?? 0, wc / w.get(witness)!));
    }
    if (bound !== Infinity) for (const [d, yd] of y) bound += yd * cap.get(d)!;
    bounds.set(id, bound);
  }
  return bounds;
}

/**
 * Channels whose capacity exceeds their load bound, in channel order. Strictly above, with a margin
 * far over float round-off: at equality the channel could tie the bottleneck and freeze flows in the
 * solve, which would then differ without it. A channel no route crosses (a single node's NIC) is
 * left as it is: nothing moves over it, so there is nothing to gain.
 */
export function nonBindingChannels(topo: RouteSource): string[] {
  const coupled = new Set(topo.duplexCouplings.flatMap((d) => [d.a, d.b]));
  const bounds = loadBounds(topo);
  return topo.channels.filter((c) => !coupled.has(c.id) && bounds.get(c.id)! > 0 && c.capacityBytesPerS > bounds.get(c.id)! * (1 + 1e-6)).map((c) => c.id);
}
