import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { sweepCommand } from './sweep.js';

describe('pdsim sweep', () => {
  it('writes one sweep.jsonl line per value, and latency does not fall as load rises', async () => {
    const out = mkdtempSync(path.join(tmpdir(), 'pdsim-sweep-'));
    const w1 = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const w2 = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      const rows = await sweepCommand('scenarios/quickstart.yaml', { vary: ['workload.arrival.rate=2,8,32'], out, set: ['workload.requests=200'] });
      const lines = readFileSync(path.join(out, 'sweep.jsonl'), 'utf8').trim().split('\n');
      expect(lines).toHaveLength(3);
      const tpot = rows.map((r) => r.mean_tpot_ms as number);
      expect(tpot[1]!).toBeGreaterThanOrEqual(tpot[0]!);
      expect(tpot[2]!).toBeGreaterThan(tpot[1]!);
      expect(rows.every((r) => r.completed === 200)).toBe(true);
    } finally {
      w1.mockRestore();
      w2.mockRestore();
    }
  });
});
