import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { UserError } from '../../errors.js';
import { sampleInput } from '../../report/testing.js';
import { writeReport } from '../../report/write.js';
import { register, runReport } from './report.js';

afterEach(() => vi.restoreAllMocks());

async function runDirWithReport(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'pdsim-report-cmd-'));
  await writeReport(dir, sampleInput());
  return dir;
}

function program(): Command {
  const p = new Command().exitOverride();
  register(p);
  return p;
}

describe('pdsim report', () => {
  it('regenerates report.html from report.json', async () => {
    const dir = await runDirWithReport();
    await rm(join(dir, 'report.html'));
    const out = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    await program().parseAsync(['report', dir], { from: 'user' });
    const html = await readFile(join(dir, 'report.html'), 'utf8');
    expect(html).toContain('<h1>Quickstart</h1>');
    expect(html).toContain('id="chart-cdf-ttft"');
    expect(out).toHaveBeenCalledWith(`${join(dir, 'report.html')}\n`);
  });

  it('writes one SVG per chart with --svg', async () => {
    const dir = await runDirWithReport();
    const { svgPaths } = await runReport(dir, { svg: true });
    const files = (await readdir(join(dir, 'charts'))).sort();
    expect(files).toContain('cdf-ttft.svg');
    expect(files).toContain('timeline-1.svg');
    expect(files).toHaveLength(svgPaths.length);
    expect(await readFile(join(dir, 'charts', 'queue.svg'), 'utf8')).toMatch(/^<svg/);
  }, 60_000); // Vega renders every chart: seconds on a loaded machine (it timed out at the default 5 s)

  it('writes a PNG next to each SVG with --png, at twice the SVG size', async () => {
    const dir = await runDirWithReport();
    const { svgPaths, pngPaths } = await runReport(dir, { png: true });
    expect(pngPaths.map((p) => p.replace(/\.png$/, ''))).toEqual(svgPaths.map((p) => p.replace(/\.svg$/, '')));
    const png = await readFile(join(dir, 'charts', 'cdf-ttft.png'));
    expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
    const svg = await readFile(join(dir, 'charts', 'cdf-ttft.svg'), 'utf8');
    const svgWidth = Number(/width="(\d+)"/.exec(svg)![1]);
    expect(png.readUInt32BE(16)).toBe(2 * svgWidth); // IHDR width
  }, 120_000);

  it('reports a missing directory or report.json as a UserError naming the path', async () => {
    const missing = join(tmpdir(), 'pdsim-no-such-run-dir');
    await expect(runReport(missing, {})).rejects.toThrow(new UserError('run directory not found', missing));
    const empty = await mkdtemp(join(tmpdir(), 'pdsim-report-cmd-'));
    await expect(runReport(empty, {})).rejects.toThrow(join(empty, 'report.json'));
    await expect(stat(join(empty, 'report.html'))).rejects.toThrow();
  });
});
