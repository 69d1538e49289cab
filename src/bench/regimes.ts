/**
 * The regimes `npm run bench` measures (issue 14's table) and the targets each is held to. Figures a
 * user sees: whole-process wall time of the bundled CLI, start-up included.
 */

/** Vidur (microsoft/vidur @ 7d47513) on the parity workload, this machine type, trace output off. */
export const VIDUR_WALL_S = 179; // scenarios/traces/README.md
export const VIDUR_RSS_MB = 1600;

export const TARGETS = {
  /** Parity run wall time: 500x Vidur; 1000x (0.18 s) is the aim. */
  parityWallS: 0.36,
  parityAimWallS: 0.18,
  /** Every regime. */
  minSimulatedReqPerS: 50_000,
  /** Peak RSS with 1,000,000 requests (memory O(in-flight), not O(requests)). */
  maxRssMBAt1M: 300,
} as const;

export interface Regime {
  /** Short name (`--only` selects by it). */
  name: string;
  scenario: string;
  /** The scenario replays a trace (shipped under scenarios/traces); the regime is skipped if it is missing. */
  replaysTrace?: boolean;
  /** The parity run: held to the wall-time target too. */
  parity?: boolean;
  /** Extra `simulate` options. */
  args?: string[];
}

export const REGIMES: readonly Regime[] = [
  { name: 'parity', scenario: 'scenarios/bench/vidur-parity.yaml', replaysTrace: true, parity: true },
  // What writing requests.jsonl costs: the same run without it.
  { name: 'parity-no-jsonl', scenario: 'scenarios/bench/vidur-parity.yaml', replaysTrace: true, parity: true, args: ['--no-requests'] },
  { name: 'dual-l4-disagg', scenario: 'scenarios/bench/dual-l4-disagg.yaml' },
  { name: 'kv-tiers', scenario: 'scenarios/bench/kv-tiers.yaml' },
  { name: 'mooncake-4xh100', scenario: 'scenarios/bench/mooncake-4xh100.yaml', replaysTrace: true },
  { name: 'h100x16-p2c', scenario: 'scenarios/bench/h100x16-p2c.yaml' },
];

export interface Measured {
  wallS: number;
  /** CPU seconds (user + system) of the simulate process. */
  cpuS: number;
  /** CPU seconds of its main thread alone (Linux; bundles before it print none). */
  mainCpuS?: number;
  events: number;
  requests: number;
  maxRssMB: number;
}

export function median(xs: readonly number[]): number {
  if (xs.length === 0) throw new RangeError('median of nothing');
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Per-run medians of every figure (each figure its own median, as a user reading five runs would). */
export function medianOf(runs: readonly Measured[]): Measured {
  return {
    wallS: median(runs.map((r) => r.wallS)),
    cpuS: median(runs.map((r) => r.cpuS)),
    events: median(runs.map((r) => r.events)),
    requests: median(runs.map((r) => r.requests)),
    maxRssMB: median(runs.map((r) => r.maxRssMB)),
    ...(runs.every((r) => r.mainCpuS !== undefined) ? { mainCpuS: median(runs.map((r) => r.mainCpuS!)) } : {}),
  };
}

/**
 * Peak RSS at 1,000,000 requests, extrapolated linearly from runs at n/2 and n requests (what grows
 * with the request count grows about linearly; a flat slope means memory O(in-flight)).
 */
export function rssAt1M(half: { requests: number; maxRssMB: number }, full: { requests: number; maxRssMB: number }): number {
  const dn = full.requests - half.requests;
  if (!(dn > 0)) return full.maxRssMB;
  const slope = Math.max(0, (full.maxRssMB - half.maxRssMB) / dn);
  return full.maxRssMB + slope * Math.max(0, 1_000_000 - full.requests);
}

export interface Verdict {
  ok: boolean;
  text: string;
}

/** One line per regime against its targets, with the miss factor where missed. */
export function verdict(regime: Regime, m: Measured, rss1MMB: number, rss1MMeasured: boolean): Verdict {
  const parts: string[] = [];
  let ok = true;
  const reqPerS = m.requests / m.wallS;
  if (regime.parity) {
    const hit = m.wallS <= TARGETS.parityWallS;
    ok &&= hit;
    parts.push(`wall ${m.wallS.toFixed(2)} s ${hit ? '<=' : '>'} ${TARGETS.parityWallS} s${hit ? '' : ` (${(m.wallS / TARGETS.parityWallS).toFixed(1)}x over)`}, ${(VIDUR_WALL_S / m.wallS).toFixed(0)}x Vidur (aim ${(VIDUR_WALL_S / TARGETS.parityAimWallS).toFixed(0)}x)`);
  }
  const fast = reqPerS >= TARGETS.minSimulatedReqPerS;
  ok &&= fast;
  parts.push(`${fmtK(reqPerS)} req/s ${fast ? '>=' : '<'} ${fmtK(TARGETS.minSimulatedReqPerS)}${fast ? '' : ` (${(TARGETS.minSimulatedReqPerS / reqPerS).toFixed(1)}x short)`}`);
  const lean = rss1MMB <= TARGETS.maxRssMBAt1M;
  ok &&= lean;
  parts.push(`RSS at 1M requests ${rss1MMB.toFixed(0)} MB${rss1MMeasured ? '' : ' (extrapolated)'} ${lean ? '<=' : '>'} ${TARGETS.maxRssMBAt1M} MB`);
  return { ok, text: `${ok ? 'MET   ' : 'MISSED'} ${regime.name.padEnd(16)} ${parts.join('; ')}` };
}

export function fmtK(x: number): string {
  return x >= 1e4 ? `${(x / 1e3).toFixed(0)}k` : x >= 1e3 ? `${(x / 1e3).toFixed(1)}k` : x.toFixed(0);
}
