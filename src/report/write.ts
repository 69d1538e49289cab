/**
 * Report files on disk: `report.html` to look at and `report.json` (the ReportInput) so the page
 * can be re-rendered later, e.g. after a chart change, with `pdsim report <runDir>`.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { UserError } from '../errors.js';
import { renderReportHtmlBytes } from './html.js';
import type { ReportInput } from './types.js';
import { reportMessages } from '../messages/report.js';

export const REPORT_HTML = 'report.html';
export const REPORT_JSON = 'report.json';
const CDF_KEYS = ['ttftMs', 'tpotMs', 'itlMs', 'e2elMs'] as const;

/** Writes dir/report.html and dir/report.json (creating dir) and returns the HTML's path. */
export async function writeReport(dir: string, input: ReportInput): Promise<string> {
  await mkdir(dir, { recursive: true });
  const htmlPath = join(dir, REPORT_HTML);
  await writeFile(join(dir, REPORT_JSON), JSON.stringify(input) + '\n');
  await writeFile(htmlPath, renderReportHtmlBytes(input));
  return htmlPath;
}

/**
 * Reads dir/report.json back. Checks only the shape the renderer relies on (a title and a runs
 * array of labelled runs), since the file was written by writeReport, not by hand.
 */
export async function readReportInput(dir: string): Promise<ReportInput> {
  const file = join(dir, REPORT_JSON);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'not found (is this a pdsim run directory?)' : `cannot be read (${code ?? String(e)})`;
    throw new UserError(reportMessages.reportInput(why), file);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new UserError(reportMessages.invalidJson((e as Error).message), file);
  }
  const problem = shapeProblem(data);
  if (problem) throw new UserError(problem.message, file, problem.where);
  return data as ReportInput;
}

function shapeProblem(data: unknown): { message: string; where: string } | undefined {
  if (typeof data !== 'object' || data === null) return { message: 'expected an object', where: '' };
  const d = data as Record<string, unknown>;
  if (typeof d.title !== 'string') return { message: 'expected a string', where: '/title' };
  if (!Array.isArray(d.runs)) return { message: 'expected an array', where: '/runs' };
  for (const [i, run] of d.runs.entries()) {
    const r = run as Record<string, unknown> | null;
    if (typeof r !== 'object' || r === null || typeof r.label !== 'string') {
      return { message: 'expected a run with a string label', where: `/runs/${i}` };
    }
    const cdf = r.cdf as Record<string, unknown> | null;
    if (typeof cdf !== 'object' || cdf === null) return { message: 'expected an object', where: `/runs/${i}/cdf` };
    for (const metric of CDF_KEYS) {
      if (!Array.isArray(cdf[metric])) return { message: 'expected an array', where: `/runs/${i}/cdf/${metric}` };
    }
    if (!Array.isArray(r.timeSeries)) return { message: 'expected an array', where: `/runs/${i}/timeSeries` };
  }
  return undefined;
}
