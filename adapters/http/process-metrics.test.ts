import { describe, expect, it } from 'vitest';
import { declareProcessMetrics, updateProcessMetrics } from './process-metrics.js';
import { PromRegistry } from './prom-text.js';

const value = (text: string, name: string): number | undefined => {
  const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
  return m ? Number(m[1]) : undefined;
};

describe('process metrics (prometheus_client names)', () => {
  it('report this process: its resident size and, on Linux, its open descriptors and their limit', () => {
    const r = new PromRegistry();
    declareProcessMetrics(r);
    updateProcessMetrics(r);
    const text = r.render();
    expect(text).toMatch(/^# TYPE process_resident_memory_bytes gauge$/m);
    // A Node process is tens of MiB at least, and far below this machine's memory.
    expect(value(text, 'process_resident_memory_bytes')).toBeGreaterThan(10 * 2 ** 20);
    if (process.platform === 'linux') {
      const open = value(text, 'process_open_fds')!;
      expect(open).toBeGreaterThanOrEqual(3); // stdin, stdout, stderr
      expect(value(text, 'process_max_fds')!).toBeGreaterThan(open);
    }
  });
});
