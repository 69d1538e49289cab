import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { escapeScript } from './assets.js';
import { formatCell, renderReportHtml, renderReportHtmlBytes } from './html.js';
import { buildCharts } from './specs.js';
import { sampleInput, sampleSweepInput } from './testing.js';

const EVIL = '<script>alert(1)</script>';

describe('renderReportHtml', () => {
  const input = sampleInput();
  const html = renderReportHtml(input);

  it('as bytes (what report.html holds) is the page encoded as UTF-8, user text with multi-byte characters included', () => {
    const accented = { ...input, title: 'débit € 10³', notes: ['p99 ≤ 2 s'] };
    expect(renderReportHtmlBytes(accented).equals(Buffer.from(renderReportHtml(accented)))).toBe(true);
  });

  it('inlines vega, vega-lite and vega-embed and loads nothing from the network', () => {
    for (const name of ['vega', 'vega-lite', 'vega-embed']) expect(html).toContain(`<script data-library="${name}">`);
    expect(html).not.toMatch(/<script[^>]*\ssrc=/i);
    expect(html).not.toMatch(/<link[^>]*href="http/i);
    expect(html.length).toBeGreaterThan(800_000);
  });

  it('has a div for every chart and embeds them with actions off', () => {
    for (const c of buildCharts(input)) expect(html).toContain(`<div class="chart" id="${c.id}"></div>`);
    expect(html).toContain('actions: false');
  });

  it('shows title, subtitle, table and notes', () => {
    expect(html).toContain('<h1>Quickstart</h1>');
    expect(html).toContain('scenarios/quickstart.yaml, seed 1');
    expect(html).toContain('<td>123.5</td>');
    expect(html).toContain('<td>—</td>');
    expect(html).toContain('uses uncalibrated GPU profile l4');
  });

  it('escapes user text everywhere: title, labels, table, notes', () => {
    const evil = sampleInput([EVIL, 'live']);
    evil.title = EVIL;
    evil.subtitle = EVIL;
    evil.notes = [EVIL];
    evil.runs[0]!.timeline![0]!.resource = EVIL;
    const page = renderReportHtml(evil);
    expect(page).not.toContain(EVIL);
    expect(page).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    // Exactly our five script elements open and close: 3 libraries, the specs JSON, the boot script.
    expect(page.match(/<script/gi)).toHaveLength(5);
    expect(page.match(/<\/script/gi)).toHaveLength(5);
    // The label still reaches the charts, unescaped once the JSON is parsed.
    const json = page.match(/<script type="application\/json" id="pdsim-charts">(.*?)<\/script>/s)![1]!;
    expect(JSON.stringify(JSON.parse(json))).toContain(EVIL);
  });

  it('keeps script text that would close a <script> element harmless', () => {
    expect(escapeScript('var s="</script><!--";')).toBe('var s="\\x3C/script>\\x3C!--";');
  });

  it('says so when there is nothing to chart', () => {
    expect(renderReportHtml({ title: 'empty', runs: [] })).toContain('No chart data in this report.');
  });
});

describe('formatCell', () => {
  it('trims float noise and marks missing values', () => {
    expect(formatCell(0.1 + 0.2)).toBe('0.3');
    expect(formatCell(42)).toBe('42');
    expect(formatCell(null)).toBe('—');
    expect(formatCell('x')).toBe('x');
  });
});

/** Only where a Chromium is already installed; the report must not depend on one. */
function findChromium(): string | undefined {
  for (const name of ['chromium', 'chromium-browser', 'google-chrome']) {
    try {
      return execFileSync('which', [name], { encoding: 'utf8' }).trim() || undefined;
    } catch {
      // not installed under this name
    }
  }
  return undefined;
}
const chromium = findChromium();

const CHROMIUM_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** Runs headless Chromium on a page; extra args say what to do (dump the DOM, take a screenshot). */
function chromiumRun(dir: string, file: string, extra: string[]): string {
  return execFileSync(
    chromium!,
    // The background-networking flags keep Chromium from reaching out on a closed network; the
    // dumped DOM holds the inlined libraries and every SVG, far above execFileSync's 1 MB default.
    [...CHROMIUM_FLAGS, `--user-data-dir=${join(dir, 'profile')}`, '--virtual-time-budget=10000', ...extra, `file://${file}`],
    { encoding: 'utf8', timeout: 60_000, maxBuffer: 256 * 1024 * 1024, stdio: ['ignore', 'pipe', 'ignore'] },
  );
}

/** Records the page's scroll width once the charts are drawn (test pages only). */
const MEASURE = `<script>addEventListener('load', () => setTimeout(() => document.body.setAttribute('data-scroll-width', String(document.documentElement.scrollWidth)), 0));</script>`;

describe.skipIf(chromium === undefined)('in headless Chromium', () => {
  const reports = [['simulate/validate', sampleInput()], ['sweep', sampleSweepInput()]] as const;

  it.each(reports)('draws every chart of a %s report offline, with no error marker, and takes a screenshot', (_name, input) => {
    const dir = mkdtempSync(join(tmpdir(), 'pdsim-report-'));
    const file = join(dir, 'report.html');
    const html = renderReportHtml(input);
    const end = html.lastIndexOf('</body>'); // the inlined libraries contain the text "</body>" too
    writeFileSync(file, `${html.slice(0, end)}${MEASURE}\n${html.slice(end)}`);
    const dom = chromiumRun(dir, file, ['--window-size=1400,900', '--dump-dom']);
    for (const c of buildCharts(input)) {
      expect(dom).toMatch(new RegExp(`id="${c.id}"[^>]*>.*?<svg`, 's'));
    }
    // The page's own script contains the error text; a failed chart would add one more occurrence.
    const count = (t: string) => t.split('failed to render').length - 1;
    expect(count(dom)).toBe(count(html));
    // Nothing wider than a 1,400 px window (the sweep's ten-column table scrolls inside its box).
    const width = Number(/data-scroll-width="(\d+)"/.exec(dom)?.[1]);
    expect(width).toBeGreaterThan(0);
    expect(width).toBeLessThanOrEqual(1400);
    const shot = join(dir, 'screenshot.png');
    chromiumRun(dir, file, ['--window-size=1400,6000', `--screenshot=${shot}`]);
    const png = readFileSync(shot);
    expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
    expect(png.length).toBeGreaterThan(50_000); // a page of drawn charts, not a blank one
  }, 120_000);
});
