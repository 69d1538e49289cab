import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { compareCommand } from './compare.js';

describe('pdsim compare', () => {
  it('writes a/summary.json and b/summary.json (as the README says) and the report', async () => {
    const out = mkdtempSync(path.join(tmpdir(), 'pdsim-compare-'));
    const w = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      const r = await compareCommand('scenarios/quickstart.yaml', 'scenarios/quickstart.yaml', { out, set: ['workload.requests=100', 'engine.maxNumSeqs=8'] });
      for (const side of ['a', 'b'] as const) {
        const s = JSON.parse(readFileSync(path.join(out, side, 'summary.json'), 'utf8')) as Record<string, unknown>;
        expect(s['completed']).toBe(r[side].summary['completed']);
        expect(s['num_prompts']).toBe(100);
      }
      expect(existsSync(path.join(out, 'report.html'))).toBe(true);
      expect(existsSync(path.join(out, 'summary-a.json'))).toBe(false);
    } finally {
      w.mockRestore();
    }
  }, 60_000);
});
