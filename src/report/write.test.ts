import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UserError } from '../errors.js';
import { sampleInput } from './testing.js';
import { readReportInput, writeReport } from './write.js';

const tempDir = () => mkdtemp(join(tmpdir(), 'pdsim-report-'));

describe('writeReport / readReportInput', () => {
  it('writes report.html and report.json that reads back equal', async () => {
    const dir = join(await tempDir(), 'nested', 'run');
    const input = sampleInput();
    const htmlPath = await writeReport(dir, input);
    expect(htmlPath).toBe(join(dir, 'report.html'));
    expect(await readFile(htmlPath, 'utf8')).toContain('<h1>Quickstart</h1>');
    expect(await readReportInput(dir)).toEqual(input);
  });

  it('names the file when report.json is missing, broken or misshapen', async () => {
    const dir = await tempDir();
    const file = join(dir, 'report.json');
    await expect(readReportInput(dir)).rejects.toThrow(UserError);
    await expect(readReportInput(dir)).rejects.toThrow(`${file}: report input not found`);
    await writeFile(file, '{ nope');
    await expect(readReportInput(dir)).rejects.toThrow(`${file}: not valid JSON`);
    await writeFile(file, JSON.stringify({ title: 't', runs: [{ label: 'sim', cdf: {}, timeSeries: [] }] }));
    await expect(readReportInput(dir)).rejects.toThrow(`${file}: /runs/0/cdf/ttftMs: expected an array`);
  });
});
