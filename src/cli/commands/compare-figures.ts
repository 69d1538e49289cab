/**
 * The figures `pdsim compare` (and the reproductions document) put side by side, read from two
 * summaries: latency percentiles, throughput, goodput, KV transfer and overlap figures.
 */
import { figureOf, type Summary } from '../../metrics/summary.js';

export interface Figure {
  name: string;
  a: number | null;
  b: number | null;
  /** true when a larger value is better (throughput), false when smaller is (latency). */
  higherIsBetter: boolean;
}

function num(x: unknown): number | null {
  return typeof x === 'number' && Number.isFinite(x) ? x : null;
}

/** A kv_transfer figure by dotted path ("exposed_ms.mean"). */
function kv(s: Summary, path: string): number | null {
  let x: unknown = s.pdsim.kv_transfer;
  for (const k of path.split('.')) x = x !== null && typeof x === 'object' ? (x as Record<string, unknown>)[k] : undefined;
  return num(x);
}

export function compareFigures(a: Summary, b: Summary): Figure[] {
  const out: Figure[] = [];
  for (const m of ['ttft', 'tpot', 'itl', 'e2el']) {
    for (const p of ['mean', 'median', 'p90', 'p99']) out.push({ name: `${p} ${m.toUpperCase()} ms`, a: num(figureOf(a, `${p}_${m}_ms`)), b: num(figureOf(b, `${p}_${m}_ms`)), higherIsBetter: false });
  }
  for (const k of ['request_throughput', 'output_throughput', 'total_token_throughput', 'request_goodput']) out.push({ name: k.replace(/_/g, ' '), a: num(figureOf(a, k)), b: num(figureOf(b, k)), higherIsBetter: true });
  out.push({ name: 'completed', a: num(a.completed), b: num(b.completed), higherIsBetter: true });
  out.push({ name: 'failed', a: num(a.failed), b: num(b.failed), higherIsBetter: false });
  for (const k of ['count', 'duration_ms.mean', 'duration_ms.p99', 'exposed_ms.mean', 'link_exposed_ms.mean', 'decode_reservation_wait_ms.mean', 'staging_wait_ms.mean']) out.push({ name: `kv transfer ${k.replace(/[_.]/g, ' ')}`, a: kv(a, k), b: kv(b, k), higherIsBetter: false });
  out.push({ name: 'kv transfer overlap fraction', a: kv(a, 'overlap_fraction'), b: kv(b, 'overlap_fraction'), higherIsBetter: true });
  return out;
}

/** B relative to A, as a signed percentage string ("+12.3%"), or "" when undefined. */
export function deltaPct(f: Figure): string {
  if (f.a === null || f.b === null || f.a === 0) return '';
  const d = ((f.b - f.a) / Math.abs(f.a)) * 100;
  return `${d >= 0 ? '+' : ''}${d.toFixed(1)}%`;
}
