import { Command } from 'commander';
import { describe, expect, it, vi } from 'vitest';
import { UserError } from '../../errors.js';
import { listText, register } from './list.js';

describe('pdsim list', () => {
  it('lists GPUs with memory, bandwidth, peak and calibration state', () => {
    const lines = listText('gpus').trimEnd().split('\n');
    expect(lines[0]).toMatch(/^id\s+name\s+mem GiB\s+HBM GB\/s\s+FP16 TFLOPS\s+calibrated/);
    const h100 = lines.find((l) => l.startsWith('h100-sxm '));
    expect(h100).toMatch(/79\.2\s+3350\s+989\s+yes/);
    expect(lines.find((l) => l.startsWith('l4 '))).toMatch(/22\.0\s+300\s+121\s+no\s+±30%/);
  });

  it('lists models with params, KV bytes per token and layers', () => {
    const line = listText('models').split('\n').find((l) => l.startsWith('llama-3.1-8b '));
    expect(line).toMatch(/8\.030\s+131072\s+32\s/);
  });

  it('lists links, hosts and disks', () => {
    expect(listText('links')).toMatch(/pcie-gen4-x16\s+pcie\s+31\.5\s+25\s/);
    expect(listText('hosts')).toContain('server-ddr5');
    expect(listText('disks')).toContain('nvme-gen4');
  });

  it('rejects an unknown kind with a suggestion', () => {
    expect(() => listText('gpu')).toThrow(UserError);
    expect(() => listText('gpu')).toThrow(/did you mean "gpus"/);
  });

  it('is registered as a subcommand that prints the table', async () => {
    const program = new Command().exitOverride();
    register(program);
    const write = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      await program.parseAsync(['list', 'disks'], { from: 'user' });
      expect(write.mock.calls.map((c) => String(c[0])).join('')).toContain('cloud-disk');
    } finally {
      write.mockRestore();
    }
  });
});
