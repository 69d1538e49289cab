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
  /** Environment variables for its runs, over the bench's own. */
  env?: Record<string, string>;
}

export const REGIMES: readonly Regime[] = [
  { name: 'parity', scenario: 'scenarios/bench/vidur-parity.yaml', replaysTrace: true, parity: true },
  // What writing requests.jsonl costs: the same run without it.
  { name: 'parity-no-jsonl', scenario: 'scenarios/bench/vidur-parity.yaml', replaysTrace: true, parity: true, args: ['--no-requests'] },
  // What the build's trace cache saves (src/workload/trace-cache.ts): the same run parsing the trace.
  { name: 'parity-uncached', scenario: 'scenarios/bench/vidur-parity.yaml', replaysTrace: true, parity: true, env: { PDSIM_TRACE_CACHE: 'off' } },
  { name: 'dual-l4-disagg', scenario: 'scenarios/bench/dual-l4-disagg.yaml' },
  { name: 'kv-tiers', scenario: 'scenarios/bench/kv-tiers.yaml' },
  { name: 'mooncake-4xh100', scenario: 'scenarios/bench/mooncake-4xh100.yaml', replaysTrace: true },
  { name: 'h100x16-p2c', scenario: 'scenarios/bench/h100x16-p2c.yaml' },
];

/** The parity run as a user makes it (no extra options or environment): the one compared with Vidur. */
export function isPlainParity(r: Regime): boolean {
  return r.parity === true && r.args === undefined && r.env === undefined;
}

/** A regime's run environment: the bench's, with the regime's own variables over it. */
export function runEnv(r: Regime, base: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return r.env === undefined ? base : { ...base, ...r.env };
}

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
 * What the bench knows of a regime's peak RSS at 1,000,000 requests. A linear extrapolation from
 * 50k and 100k printed 960 MB for dual-l4-disagg against 276 MB measured at 1M (419 for kv-tiers
 * against 183): peak RSS is concave in the request count (V8 grows its heap in steps, then holds it),
 * so a slope measured early overstates. The bench now claims only what it measured.
 */
export interface RssEvidence {
  /** Peak RSS of the largest run. */
  maxRssMB: number;
  /** Requests of that run; 1,000,000 or more means the target was measured. */
  requests: number;
  /** A smaller run's peak, printed beside it to show the growth (never extrapolated). */
  smaller?: { requests: number; maxRssMB: number };
  /** Why 1M was not run (a trace of fixed length, or the time budget). */
  whyNot1M?: string;
}

export const MILLION = 1_000_000;

/**
 * Whether a regime's 1M run fits the bench's default time budget, estimated from its own measured
 * wall time scaled by the request count (the regimes' event counts grow linearly with requests).
 * `--million` runs every synthetic regime at 1M whatever the estimate.
 */
export function millionFits(m: Pick<Measured, 'wallS' | 'requests'>, budgetS: number): boolean {
  return m.requests > 0 && (m.wallS * MILLION) / m.requests <= budgetS;
}

export type VerdictTag = 'MET' | 'MISSED' | 'OPEN';

export interface Verdict {
  ok: boolean;
  /** MET: every target measured and met; MISSED: one measured and missed; OPEN: the rest met, RSS at 1M not measured. */
  tag: VerdictTag;
  text: string;
}

/**
 * The RSS part of a verdict. Measured at 1M: met or missed. Below 1M a peak already over the target
 * is a miss (a longer run of the same seeded workload passes through the same first requests, so its
 * peak is not expected to be lower); otherwise nothing is claimed.
 */
function rssPart(e: RssEvidence): { state: 'met' | 'missed' | 'open'; text: string } {
  const growth = e.smaller === undefined ? '' : ` (${e.smaller.maxRssMB.toFixed(0)} MB at ${fmtK(e.smaller.requests)})`;
  if (e.requests >= MILLION) {
    const lean = e.maxRssMB <= TARGETS.maxRssMBAt1M;
    return { state: lean ? 'met' : 'missed', text: `RSS at 1M requests ${e.maxRssMB.toFixed(0)} MB (measured) ${lean ? '<=' : '>'} ${TARGETS.maxRssMBAt1M} MB` };
  }
  const at = `${e.maxRssMB.toFixed(0)} MB at ${fmtRequests(e.requests)}${growth}`;
  if (e.maxRssMB > TARGETS.maxRssMBAt1M) return { state: 'missed', text: `RSS ${at}: already > ${TARGETS.maxRssMBAt1M} MB before 1M` };
  return { state: 'open', text: `RSS at 1M not measured (${e.whyNot1M ?? 'run --million'}; ${at})` };
}

/** One line per regime against its targets, with the miss factor where missed. */
export function verdict(regime: Regime, m: Measured, rss: RssEvidence): Verdict {
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
  const r = rssPart(rss);
  parts.push(r.text);
  const tag: VerdictTag = !ok || r.state === 'missed' ? 'MISSED' : r.state === 'open' ? 'OPEN' : 'MET';
  return { ok: tag === 'MET', tag, text: `${tag.padEnd(6)} ${regime.name.padEnd(16)} ${parts.join('; ')}` };
}

/** A request count as a label: 1M, 200k, 6.0k. */
export function fmtRequests(n: number): string {
  return n >= MILLION && n % MILLION === 0 ? `${n / MILLION}M` : fmtK(n);
}

export function fmtK(x: number): string {
  return x >= 1e4 ? `${(x / 1e3).toFixed(0)}k` : x >= 1e3 ? `${(x / 1e3).toFixed(1)}k` : x.toFixed(0);
}
