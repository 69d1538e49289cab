import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runCalibrate } from './calibrate.js';

const CSV = fileURLToPath(new URL('../../../adapters/llamacpp/profiles/llamacpp-cpu-1t.csv', import.meta.url));

describe('pdsim calibrate on explicit files', () => {
  it('takes a file that commander gave to the variadic --gpu as a file (`--gpu ID FILE`)', { timeout: 120_000 }, () => {
    let out = '';
    const [r] = runCalibrate([], { gpu: ['llamacpp-cpu-1t', CSV] }, (s) => void (out += s));
    expect(r!.gpu.id).toBe('llamacpp-cpu-1t');
    expect(r!.set.iterations.length).toBe(46);
    expect(out).toMatch(/engine iteration decode .*\(held out, 2-fold\)/);
  });
});
