/** Console tables of replicated runs: mean and 95% interval per figure; B - A with Welch's interval and a verdict. */
import { fmt, formatTable } from './table.js';
import { REPLICATE_FIGURES, type ComparedFigure } from '../plan/replicated.js';
import type { Interval } from '../plan/stats.js';

export function intervalTable(iv: Record<string, Interval>): string {
  return formatTable(['figure', 'mean', '95% lo', '95% hi', 'sd'], REPLICATE_FIGURES.filter((k) => iv[k]).map((k) => [k, iv[k]!.mean, iv[k]!.lo, iv[k]!.hi, iv[k]!.sd]));
}

export function compareTable(rows: readonly ComparedFigure[]): string {
  return formatTable(
    ['figure', 'A mean', 'B mean', 'B - A', '95% interval of B - A', 'verdict'],
    rows.map((r) => [r.figure, r.a.mean, r.b.mean, r.diff.diff, `[${fmt(r.diff.lo)}, ${fmt(r.diff.hi)}]`, r.diff.significant ? 'larger than noise' : 'within noise']),
  );
}
