/**
 * Named, seeded random streams. Each component draws from its own stream, derived from the run
 * seed and the stream name, so adding a component never perturbs another's draws.
 */
import seedrandom from 'seedrandom';

export interface RandomStream {
  /** Uniform in [0, 1). */
  next(): number;
  /** Exponential with the given mean. */
  exponential(mean: number): number;
  /** Standard normal (Box-Muller, one value per call for reproducibility). */
  normal(): number;
  /** Gamma(shape, scale) by Marsaglia-Tsang. */
  gamma(shape: number, scale: number): number;
  /** Integer uniform in [lo, hi]. */
  intBetween(lo: number, hi: number): number;
}

class AleaStream implements RandomStream {
  private readonly prng: seedrandom.PRNG;
  constructor(seed: string) {
    this.prng = seedrandom.alea(seed);
  }
  next(): number {
    return this.prng.double();
  }
  exponential(mean: number): number {
    return -Math.log(1 - this.next()) * mean;
  }
  normal(): number {
    const u1 = 1 - this.next();
    const u2 = this.next();
    return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }
  gamma(shape: number, scale: number): number {
    if (shape < 1) {
      const u = this.next();
      return this.gamma(shape + 1, scale) * Math.pow(u, 1 / shape);
    }
    const d = shape - 1 / 3;
    const c = 1 / Math.sqrt(9 * d);
    for (;;) {
      let x: number;
      let v: number;
      do {
        x = this.normal();
        v = 1 + c * x;
      } while (v <= 0);
      v = v * v * v;
      const u = this.next();
      if (u < 1 - 0.0331 * x * x * x * x) return d * v * scale;
      if (Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v * scale;
    }
  }
  intBetween(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
}

/** Factory of named streams for one run seed. */
export class RandomStreams {
  constructor(private readonly seed: number | string) {}
  stream(name: string): RandomStream {
    return new AleaStream(`${this.seed}/${name}`);
  }
}
