/**
 * `pdsim report <runDir>`: re-renders a run's report.html from its report.json, e.g. after the
 * charts changed, without re-running the simulation. `--svg` also writes one static SVG per chart
 * into <runDir>/charts/ for docs and slides.
 */
import { mkdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Command } from 'commander';
import { UserError } from '../../errors.js';
import { buildCharts } from '../../report/specs.js';
import { readReportInput, writeReport } from '../../report/write.js';

export interface ReportOptions {
  svg?: boolean;
}

/** Steps: 1 check the directory, 2 load report.json, 3 write report.html (+ report.json), 4 SVGs. */
export async function runReport(runDir: string, options: ReportOptions): Promise<{ htmlPath: string; svgPaths: string[] }> {
  // 1. A clear message for a wrong path beats "report.json not found" inside a missing directory.
  const info = await stat(runDir).catch(() => undefined);
  if (!info?.isDirectory()) throw new UserError('run directory not found', runDir);
  // 2. Load
  const input = await readReportInput(runDir);
  // 3. Render; writing report.json again is harmless and keeps the two files in step.
  const htmlPath = await writeReport(runDir, input);
  // 4. Static charts
  const svgPaths: string[] = [];
  if (options.svg) {
    const chartsDir = join(runDir, 'charts');
    await mkdir(chartsDir, { recursive: true });
    for (const chart of buildCharts(input)) {
      const path = join(chartsDir, `${chart.id.replace(/^chart-/, '')}.svg`);
      // vega is heavy to load; only --svg needs it, so it is imported here rather than at start-up.
      await writeFile(path, await (await import('../../report/svg.js')).renderSvg(chart.spec));
      svgPaths.push(path);
    }
  }
  return { htmlPath, svgPaths };
}

export function register(program: Command): void {
  program
    .command('report')
    .description('Re-render <runDir>/report.html from <runDir>/report.json.')
    .argument('<runDir>', 'a run directory written by simulate/validate/compare')
    .option('--svg', 'also write one SVG per chart into <runDir>/charts/')
    .action(async (runDir: string, options: ReportOptions) => {
      const { htmlPath, svgPaths } = await runReport(runDir, options);
      process.stdout.write(`${htmlPath}\n`);
      for (const p of svgPaths) process.stdout.write(`${p}\n`);
    });
}
