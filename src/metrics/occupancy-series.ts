/**
 * An occupancy-over-time series for one resource (a staging buffer, a KV tier) whose memory stays
 * bounded however long the run: it keeps every `stride`-th sample, and when more than `maxRows` are
 * kept, drops every other one and doubles the stride. The kept samples are always exactly those whose
 * index is a multiple of the stride, so a run with at most `maxRows` changes keeps all of them (and the
 * report's thinning to ~300 points sees the same rows as with an unbounded list).
 */
export interface OccupancyRow {
  tS: number;
  tier: string;
  occupancy: number;
}

export class OccupancySeries {
  private times: number[] = [];
  private values: number[] = [];
  private stride = 1;
  private seen = 0;

  constructor(
    readonly tier: string,
    private readonly maxRows = 1 << 16,
  ) {
    if (!(maxRows >= 2)) throw new RangeError(`OccupancySeries needs maxRows >= 2, got ${maxRows}`);
  }

  /** Samples recorded (kept or not). */
  get samples(): number {
    return this.seen;
  }

  add(tS: number, occupancy: number): void {
    if (this.seen++ % this.stride !== 0) return;
    this.times.push(tS);
    this.values.push(occupancy);
    if (this.times.length > this.maxRows) {
      let w = 0;
      for (let i = 0; i < this.times.length; i += 2, w++) {
        this.times[w] = this.times[i]!;
        this.values[w] = this.values[i]!;
      }
      this.times.length = w;
      this.values.length = w;
      this.stride *= 2;
    }
  }

  rows(): OccupancyRow[] {
    return this.times.map((tS, i) => ({ tS, tier: this.tier, occupancy: this.values[i]! }));
  }
}
