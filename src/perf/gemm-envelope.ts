/**
 * gemmComputeMs for one weight shape (n x k) on one GPU, for any row count m, with the running
 * maximum over earlier tile rows kept: gemmComputeMs walks all ceil(m / tileRows) - 1 earlier tile
 * rows on every call (64 for 8k tokens on an H100, four GEMMs per token count), which was ~10 % of
 * a long-prompt run's main thread once per distinct token count. Math.max is exact, so a maximum
 * over the same values grouped differently is the same number: results equal gemmComputeMs bit for bit.
 */
import type { GpuPerfParams } from '../model/gpu.js';
import { gemmComputeRaw, gemmRoof, type HwRates, type Roof } from './op-times.js';

export class GemmEnvelope {
  /** tileMax[r - 1] = max of the raw compute time at the ends of tile rows 1..r (filled on demand). */
  private tileMax = new Float64Array(0);
  private filled = 0;
  private readonly tileRows: number;

  constructor(
    private readonly p: GpuPerfParams['gemm'],
    private readonly hw: HwRates,
    readonly n: number,
    readonly k: number,
  ) {
    const w = p.wave;
    // 0: no wave term, so gemmComputeMs is the raw time alone.
    this.tileRows = w && hw.numSms && w.exponent > 0 ? w.tileRows : 0;
  }

  /** gemmComputeMs(p, hw, m, n, k). */
  computeMs(m: number): number {
    const t = gemmComputeRaw(this.p, this.hw, m, this.n, this.k);
    if (this.tileRows === 0) return t;
    const rowsBefore = Math.ceil(m / this.tileRows) - 1;
    if (rowsBefore <= 0) return t;
    if (rowsBefore > this.filled) this.fill(rowsBefore);
    return Math.max(t, this.tileMax[rowsBefore - 1]!);
  }

  /** gemmTime(p, hw, m, n, k, bytesPerElement, weightBytesPerElement). */
  time(m: number, bytesPerElement: number, weightBytesPerElement: number): Roof {
    return gemmRoof(this.p, this.hw, m, this.n, this.k, this.computeMs(m), bytesPerElement, weightBytesPerElement);
  }

  private fill(rows: number): void {
    if (rows > this.tileMax.length) {
      const grown = new Float64Array(Math.max(64, 2 * rows));
      grown.set(this.tileMax.subarray(0, this.filled));
      this.tileMax = grown;
    }
    let max = this.filled > 0 ? this.tileMax[this.filled - 1]! : -Infinity;
    for (let j = this.filled + 1; j <= rows; j++) {
      max = Math.max(max, gemmComputeRaw(this.p, this.hw, j * this.tileRows, this.n, this.k));
      this.tileMax[j - 1] = max;
    }
    this.filled = rows;
  }
}
