/** Plain-text tables for the console. */
export function formatTable(header: string[], rows: (string | number | null | undefined)[][]): string {
  const cells = [header, ...rows.map((r) => r.map((c) => fmt(c)))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => String(r[i] ?? '').length)));
  return cells.map((r, ri) => {
    const line = r.map((c, i) => (i === 0 ? String(c).padEnd(widths[i]!) : String(c).padStart(widths[i]!))).join('  ');
    return ri === 0 ? `${line}\n${widths.map((w) => '-'.repeat(w)).join('  ')}` : line;
  }).join('\n');
}

export function fmt(c: string | number | null | undefined): string {
  if (c === null || c === undefined) return '-';
  if (typeof c === 'string') return c;
  if (!Number.isFinite(c)) return '-';
  const a = Math.abs(c);
  if (a !== 0 && (a >= 1e6 || a < 1e-3)) return c.toExponential(3);
  if (Number.isInteger(c)) return String(c);
  return c.toFixed(a >= 100 ? 1 : a >= 10 ? 2 : 3);
}
