/**
 * `pdsim report <runDir>`: re-renders a run's report.html from its report.json, e.g. after the
 * charts changed, without re-running the simulation. `--svg` also writes one static SVG per chart
 * into <runDir>/charts/ for docs and slides, and `--png` a PNG next to each SVG.
 */
import { mkdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Command } from 'commander';
import { UserError } from '../../errors.js';
import { buildCharts } from '../../report/specs.js';
import { readReportInput, writeReport } from '../../report/write.js';
import { cliMessages } from '../../messages/cli.js';

export interface ReportOptions {
  svg?: boolean;
  /** Also a PNG next to each SVG (implies svg). */
  png?: boolean;
}

/** Steps: 1 check the directory, 2 load report.json, 3 write report.html (+ report.json), 4 SVGs. */
export async function runReport(runDir: string, options: ReportOptions): Promise<{ htmlPath: string; svgPaths: string[]; pngPaths: string[] }> {
  // 1. A clear message for a wrong path beats "report.json not found" inside a missing directory.
  const info = await stat(runDir).catch(() => undefined);
  if (!info?.isDirectory()) throw new UserError(cliMessages.runDirectoryNotFound(), runDir);
  // 2. Load
  const input = await readReportInput(runDir);
  // 3. Render; writing report.json again is harmless and keeps the two files in step.
  const htmlPath = await writeReport(runDir, input);
  // 4. Static charts
  const svgPaths: string[] = [];
  const pngPaths: string[] = [];
  if (options.svg || options.png) {
    const chartsDir = join(runDir, 'charts');
    await mkdir(chartsDir, { recursive: true });
    // vega and resvg are heavy to load; only --svg/--png need them, so they are imported here rather than at start-up.
    const { renderPng, renderSvg } = await import('../../report/svg.js');
    for (const chart of buildCharts(input)) {
      const base = join(chartsDir, chart.id.replace(/^chart-/, ''));
      const svg = await renderSvg(chart.spec);
      await writeFile(`${base}.svg`, svg);
      svgPaths.push(`${base}.svg`);
      if (options.png) {
        await writeFile(`${base}.png`, await renderPng(svg));
        pngPaths.push(`${base}.png`);
      }
    }
  }
  return { htmlPath, svgPaths, pngPaths };
}

export function register(program: Command): void {
  program
    .command('report')
    .description('Re-render <runDir>/report.html from <runDir>/report.json.')
    .argument('<runDir>', 'a run directory written by simulate/validate/compare')
    .option('--svg', 'also write one SVG per chart into <runDir>/charts/')
    .option('--png', 'also write a PNG (2x) next to each SVG in <runDir>/charts/')
    .action(async (runDir: string, options: ReportOptions) => {
      const { htmlPath, svgPaths, pngPaths } = await runReport(runDir, options);
      process.stdout.write(`${htmlPath}\n`);
      for (const p of [...svgPaths, ...pngPaths]) process.stdout.write(`${p}\n`);
    });
}
