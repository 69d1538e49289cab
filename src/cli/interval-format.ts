/** Console formatting of intervals: "mean ±half-width", with the table's number format. */
import { fmt } from './table.js';
import type { Interval } from '../plan/stats.js';

export function formatInterval(iv: Interval): string {
  return iv.n > 1 ? `${fmt(iv.mean)} ±${fmt((iv.hi - iv.lo) / 2)}` : fmt(iv.mean);
}
