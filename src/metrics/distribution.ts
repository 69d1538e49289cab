/**
 * A distribution of non-negative values with exact percentiles up to `exactCap` samples
 * (numpy's linear interpolation, as `vllm bench serve` computes them) and a log-bucketed sketch
 * beyond, whose quantiles are within `SKETCH_RELATIVE_ACCURACY` (0.5%) of the true sample quantile
 * (DDSketch construction: bucket i holds (gamma^(i-1), gamma^i]). Memory stays bounded however many
 * samples arrive. Samples may carry integer weights (n identical gaps at once).
 */
import { radixSortNonNegative } from './radix-sort.js';

export const SKETCH_RELATIVE_ACCURACY = 0.005;
const GAMMA = (1 + SKETCH_RELATIVE_ACCURACY) / (1 - SKETCH_RELATIVE_ACCURACY);
const LOG_GAMMA = Math.log(GAMMA);
const OFFSET = 4000; // bucket index range [-4000, 4000): values from ~1e-18 to ~1e17
/** A double's bits (HIGH_WORD indexes the word with the sign and exponent on this platform). */
const BITS = new Float64Array(1);
const WORDS = new Uint32Array(BITS.buffer);
const HIGH_WORD = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 1 : 0;
/** log2 at the middle of each of the 1,024 slices of the mantissa [1, 2) its top 10 bits select. */
const LOG2_MID = Float64Array.from({ length: 1024 }, (_, k) => Math.log2(1 + (k + 0.5) / 1024));

export class Distribution {
  /** Exact samples [0, n): typed arrays grown by doubling (8 bytes a sample, 16 once weighted). */
  private values = new Float64Array(16);
  /** Weights of the exact samples; null while every weight is 1 (latencies per request). */
  private weights: Float64Array | null = null;
  private n = 0;
  private sketch: Float64Array | null = null;
  private zeroCount = 0;
  count = 0;
  sum = 0;
  sumSq = 0;
  min = Infinity;
  max = -Infinity;

  constructor(private readonly exactCap = 200_000) {}

  add(value: number, weight = 1): void {
    if (weight <= 0) return;
    this.count += weight;
    this.sum += value * weight;
    this.sumSq += value * value * weight;
    if (value < this.min) this.min = value;
    if (value > this.max) this.max = value;
    if (this.sketch === null) {
      if (this.n === this.values.length) this.grow();
      if (weight !== 1 && this.weights === null) this.weights = new Float64Array(this.values.length).fill(1);
      this.values[this.n] = value;
      if (this.weights !== null) this.weights[this.n] = weight;
      this.n++;
      if (this.n > this.exactCap) this.toSketch();
    } else if (value > this.binLo && value < this.binHi) this.sketch[this.bin]! += weight;
    else this.addToSketch(value, weight);
  }

  private grow(): void {
    const cap = 2 * this.values.length;
    const v = new Float64Array(cap);
    v.set(this.values);
    this.values = v;
    if (this.weights !== null) {
      const w = new Float64Array(cap);
      w.set(this.weights);
      this.weights = w;
    }
  }

  get isExact(): boolean {
    return this.sketch === null;
  }

  private toSketch(): void {
    this.sketch = new Float64Array(2 * OFFSET);
    for (let i = 0; i < this.n; i++) {
      const v = this.values[i]!;
      const w = this.weights === null ? 1 : this.weights[i]!;
      if (v > this.binLo && v < this.binHi) this.sketch[this.bin]! += w;
      else this.addToSketch(v, w);
    }
    this.values = new Float64Array(0);
    this.weights = null;
    this.n = 0;
  }

  /** add() for each gap between consecutive times of endsS[0..n) (the first from startS), in ms, in order. */
  addGapsMs(startS: number, endsS: Float64Array, n: number, weight: number): void {
    let start = startS;
    for (let i = 0; i < n; ) {
      // Sketch mode (a long run's ITL, ~15 gaps per call): the gaps inside the cached bucket in one
      // loop over locals (gapsInBin); add() for the first gap outside it, which moves the bucket.
      if (weight > 0 && this.sketch !== null && Number.isInteger(weight)) {
        i = this.gapsInBin(start, endsS, i, n, weight);
        if (i === n) return;
        start = i > 0 ? endsS[i - 1]! : startS;
      }
      const end = endsS[i]!;
      this.add((end - start) * 1000, weight);
      start = end;
      i++;
    }
  }

  /**
   * add() of the gaps endsS[i] - endsS[i - 1] (the first from startS when i is 0), in ms, from
   * index `from` while they fall in the cached bucket; returns the index of the first that does not
   * (n when all do). add()'s arithmetic in its order, so the sums are the same floats; add() was
   * not inlined into addGapsMs, and each gap passed to it was a boxed number (~20 MB per parity run).
   */
  private gapsInBin(startS: number, endsS: Float64Array, from: number, n: number, weight: number): number {
    const lo = this.binLo;
    const hi = this.binHi;
    // +startS: a loop variable started from a parameter would stay boxed (a heap number per gap).
    let start = from > 0 ? endsS[from - 1]! : +startS;
    let count = this.count;
    let sum = this.sum;
    let sumSq = this.sumSq;
    let min = this.min;
    let max = this.max;
    let inBin = 0;
    let i = from;
    for (; i < n; i++) {
      const end = endsS[i]!;
      const value = (end - start) * 1000;
      if (!(value > lo && value < hi)) break;
      count += weight;
      sum += value * weight;
      sumSq += value * value * weight;
      if (value < min) min = value;
      if (value > max) max = value;
      inBin += weight;
      start = end;
    }
    // Integer weights (gap counts): their sum into the bucket is exact in any grouping.
    if (inBin > 0) this.sketch![this.bin]! += inBin;
    this.count = count;
    this.sum = sum;
    this.sumSq = sumSq;
    this.min = min;
    this.max = max;
    return i;
  }

  /**
   * The bucket of the last value that needed a logarithm, and the open interval (binLo, binHi) of
   * values certain to share it: bucket i's edges gamma^(i-1-OFFSET) and gamma^(i-OFFSET), pulled
   * in by a relative 1e-12, far more than the few ulps by which Math.log, the division and
   * Math.exp can err (relative ~1e-15), so a value inside gets the bucket the logarithm would
   * give. Consecutive decode gaps mostly fall in one bucket: this saves a Math.log per sample.
   * Callers test the interval before calling addToSketch (a float argument to a call that is not
   * inlined is boxed, i.e. allocated).
   */
  private bin = -1;
  private binLo = Infinity;
  private binHi = -Infinity;
  /**
   * The bucket cached before it, with its interval: a run's ITL alternates between decode gaps
   * and the longer gap across a prefill iteration, two buckets, so a second entry spares most of
   * the logarithms (and two Math.exp) such a switch cost (addToSketch was ~2 % of a parity run).
   */
  private bin2 = -1;
  private binLo2 = Infinity;
  private binHi2 = -Infinity;

  private addToSketch(v: number, w: number): void {
    if (v <= 0) {
      this.zeroCount += w;
      return;
    }
    if (v > this.binLo2 && v < this.binHi2) {
      // The other cached bucket: it becomes the first (the intervals are swapped, not recomputed).
      const bin = this.bin2;
      const lo = this.binLo2;
      const hi = this.binHi2;
      this.bin2 = this.bin;
      this.binLo2 = this.binLo;
      this.binHi2 = this.binHi;
      this.bin = bin;
      this.binLo = lo;
      this.binHi = hi;
      this.sketch![bin]! += w;
      return;
    }
    // The bucket from the exponent and a table of mantissa logarithms, within one of the formula's
    // (0.05 bucket at most off), confirmed by the exact intervals of it and its neighbours: no
    // Math.log where a value lies inside one (with 16 replicas the gaps of many batches alternate,
    // and the logarithm was ~5 % of a run). Values near an edge fall through to the formula.
    BITS[0] = v;
    const high = WORDS[HIGH_WORD]!;
    const ex = high >>> 20;
    if (ex > 0 && ex < 2047) {
      const g = Math.ceil(((ex - 1023 + LOG2_MID[(high >>> 10) & 1023]!) * Math.LN2) / LOG_GAMMA) + OFFSET;
      const j = this.holds(g, v) ? g : this.holds(g - 1, v) ? g - 1 : this.holds(g + 1, v) ? g + 1 : -1;
      if (j >= 0) {
        this.sketch![j]! += w;
        this.useBin(j);
        return;
      }
    }
    const raw = Math.ceil(Math.log(v) / LOG_GAMMA) + OFFSET;
    const i = Math.min(2 * OFFSET - 1, Math.max(0, raw));
    this.sketch![i]! += w;
    // The clamped end buckets hold every value beyond them: not cached (never met in practice).
    if (i === raw && i > 0 && i < 2 * OFFSET - 1) this.useBin(i);
  }

  /** Whether v lies inside bucket i's interval (i a bucket whose interval may be cached). */
  private holds(i: number, v: number): boolean {
    if (i <= 0 || i >= 2 * OFFSET - 1) return false;
    const edges = this.edgesOf(i);
    return v > edges[2 * i]! && v < edges[2 * i + 1]!;
  }

  /** Makes bucket i the first cached one (the first becomes the second). */
  private useBin(i: number): void {
    const edges = this.edgesOf(i);
    this.bin2 = this.bin;
    this.binLo2 = this.binLo;
    this.binHi2 = this.binHi;
    this.bin = i;
    this.binLo = edges[2 * i]!;
    this.binHi = edges[2 * i + 1]!;
  }

  /** The interval table with bucket i's filled (two Math.exp, once per bucket). */
  private edgesOf(i: number): Float64Array {
    const edges = (this.binEdges ??= new Float64Array(4 * OFFSET));
    if (edges[2 * i] === 0) {
      edges[2 * i] = Math.exp((i - 1 - OFFSET) * LOG_GAMMA) * (1 + 1e-12);
      edges[2 * i + 1] = Math.exp((i - OFFSET) * LOG_GAMMA) * (1 - 1e-12);
    }
    return edges;
  }

  /** binLo and binHi of every bucket met so far, at [2i, 2i + 2) (0 until computed; a low edge is > 0). */
  private binEdges: Float64Array | null = null;

  private cache: { sorted: Float64Array; cum: Float64Array; n: number } | null = null;

  private sortedCache(): { sorted: Float64Array; cum: Float64Array } {
    if (this.cache !== null && this.cache.n === this.n) return this.cache;
    const n = this.n;
    const values = this.values;
    const weights = this.weights;
    const sorted = new Float64Array(n);
    const cum = new Float64Array(n);
    let unit = true;
    if (weights !== null) for (let j = 0; j < n && unit; j++) unit = weights[j] === 1;
    if (unit) {
      // Unit weights (the common case): a radix sort of the bits (radix-sort.ts: the same order
      // as the native numeric sort, which takes what it does not handle: negatives, -0, NaN).
      sorted.set(values.subarray(0, n));
      if (!radixSortNonNegative(sorted, cum)) sorted.sort();
      for (let j = 0; j < n; j++) cum[j] = j + 1;
    } else {
      const idx = Array.from({ length: n }, (_, i) => i).sort((a, b) => values[a]! - values[b]! || a - b);
      let c = 0;
      idx.forEach((i, j) => {
        sorted[j] = values[i]!;
        c += weights![i]!;
        cum[j] = c;
      });
    }
    this.cache = { sorted, cum, n };
    return this.cache;
  }

  mean(): number {
    return this.count > 0 ? this.sum / this.count : NaN;
  }

  /** Population standard deviation (numpy's default, as vllm bench). */
  std(): number {
    if (this.count === 0) return NaN;
    const m = this.mean();
    return Math.sqrt(Math.max(0, this.sumSq / this.count - m * m));
  }

  /** Percentile p in [0, 100]. */
  percentile(p: number): number {
    if (this.count === 0) return NaN;
    const rank = (p / 100) * (this.count - 1);
    if (this.sketch === null) {
      const { sorted, cum } = this.sortedCache();
      const at = (r: number): number => {
        // First index whose cumulative weight exceeds r (binary search).
        let lo = 0;
        let hi = cum.length - 1;
        while (lo < hi) {
          const mid = (lo + hi) >>> 1;
          if (cum[mid]! > r) hi = mid;
          else lo = mid + 1;
        }
        return sorted[lo]!;
      };
      const lo = Math.floor(rank);
      const frac = rank - lo;
      const vLo = at(lo);
      return frac === 0 ? vLo : vLo + (at(lo + 1) - vLo) * frac;
    }
    let cum = this.zeroCount;
    if (rank < cum) return 0;
    const s = this.sketch;
    for (let i = 0; i < s.length; i++) {
      cum += s[i]!;
      if (rank < cum) {
        const v = (2 * Math.pow(GAMMA, i - OFFSET)) / (GAMMA + 1);
        return Math.min(this.max, Math.max(this.min, v));
      }
    }
    return this.max;
  }

  /** A quantile function for CDF charts (q in [0, 1]). */
  quantile = (q: number): number => this.percentile(q * 100);
}
