/**
 * One self-contained HTML page per report: heading, key-figures table, notes, then the charts,
 * drawn in the browser by vega-embed from specs inlined as JSON. Everything the page needs is
 * inside it, so it can be mailed or opened offline.
 *
 * Injection safety: every piece of user text (title, labels, table cells, notes) goes through
 * escapeHtml; the spec JSON goes through jsonForScript and the inlined libraries through
 * escapeScript (assets.ts), so that no "</script" inside them can close their <script> element early.
 */
import { vegaLibrariesHtml } from './assets.js';
import { buildCharts, type ChartOptions } from './specs.js';
import type { ReportInput } from './types.js';

export function escapeHtml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

/** JSON for a <script type="application/json">: `<` can only occur in strings, where \u003c is the same. */
function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

/** Table cells: null is "no value for this run"; floats are trimmed so 0.30000000000000004 reads 0.3. */
export function formatCell(value: string | number | null): string {
  if (value === null) return '—';
  if (typeof value === 'string') return value;
  if (!Number.isFinite(value) || Number.isInteger(value)) return String(value);
  return String(Number(value.toPrecision(4)));
}

function tableHtml(table: NonNullable<ReportInput['table']>): string {
  const head = table.columns.map((c) => `<th>${escapeHtml(c)}</th>`).join('');
  const body = table.rows
    .map((row) => `<tr>${row.map((v, i) => (i === 0 ? `<th>${escapeHtml(formatCell(v))}</th>` : `<td>${escapeHtml(formatCell(v))}</td>`)).join('')}</tr>`)
    .join('\n');
  // Wrapped so a wide table (a sweep's ten figure columns) scrolls inside the page instead of being cut off.
  return `<div class="table-wrap">\n<table class="figures">\n<thead><tr>${head}</tr></thead>\n<tbody>\n${body}\n</tbody>\n</table>\n</div>`;
}

const STYLE = `
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 960px; color: #222; }
h1 { margin-bottom: 0.2rem; } .subtitle { color: #666; margin-top: 0; }
.table-wrap { max-width: 100%; overflow-x: auto; }
table.figures { border-collapse: collapse; margin: 1rem 0; }
table.figures thead th { max-width: 8rem; overflow-wrap: anywhere; vertical-align: bottom; }
table.figures th, table.figures td { border-bottom: 1px solid #ddd; padding: 0.3rem 0.8rem; text-align: right; }
table.figures th:first-child { text-align: left; }
.notes { background: #fff8e1; border-left: 4px solid #f0b400; padding: 0.5rem 1rem; }
.chart { margin: 1.5rem 0; }
`;

/** Renders the whole page. Steps: 1 build the specs, 2 write the text parts, 3 inline libraries + specs + boot script. */
export function renderReportHtml(input: ReportInput, options: ChartOptions = {}): string {
  const { before, after } = pageAround(input, options);
  return before + vegaLibrariesHtml().toString('utf8') + after;
}

/**
 * renderReportHtml's page as UTF-8 bytes, what report.html holds: the ~830 KB of libraries copied
 * as bytes rather than decoded, joined into one string and encoded again (~10 ms a report).
 */
export function renderReportHtmlBytes(input: ReportInput, options: ChartOptions = {}): Buffer {
  const { before, after } = pageAround(input, options);
  return Buffer.concat([Buffer.from(before), vegaLibrariesHtml(), Buffer.from(after)]);
}

/** The page's text before and after the inlined libraries (vegaLibrariesHtml). */
function pageAround(input: ReportInput, options: ChartOptions): { before: string; after: string } {
  // 1. Specs
  const charts = buildCharts(input, options);
  // 2. Text parts
  const subtitle = input.subtitle ? `<p class="subtitle">${escapeHtml(input.subtitle)}</p>` : '';
  const table = input.table && input.table.rows.length > 0 ? tableHtml(input.table) : '';
  const notes = input.notes && input.notes.length > 0
    ? `<div class="notes"><ul>${input.notes.map((n) => `<li>${escapeHtml(n)}</li>`).join('')}</ul></div>`
    : '';
  const divs = charts.map((c) => `<div class="chart" id="${c.id}"></div>`).join('\n');
  const empty = charts.length === 0 ? '<p>No chart data in this report.</p>' : '';
  // 3. Scripts: libraries (between `before` and `after`), the specs as inert JSON, then a boot script that embeds each chart.
  const boot = `
const charts = JSON.parse(document.getElementById('pdsim-charts').textContent);
for (const c of charts) {
  vegaEmbed('#' + c.id, c.spec, { actions: false, renderer: 'svg' }).catch((err) => {
    document.getElementById(c.id).textContent = 'This chart failed to render: ' + err;
  });
}`;
  const before = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="pdsim">
<title>${escapeHtml(input.title)}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>${escapeHtml(input.title)}</h1>
${subtitle}
${table}
${notes}
${divs}
${empty}
`;
  const after = `
<script type="application/json" id="pdsim-charts">${jsonForScript(charts)}</script>
<script>${boot}
</script>
</body>
</html>
`;
  return { before, after };
}
