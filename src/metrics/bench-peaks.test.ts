import { describe, expect, it } from 'vitest';
import { RandomStreams } from '../kernel/random.js';
import { BenchPeaks } from './bench-peaks.js';

/** The definition, by brute force: at each send, the requests sent so far less the finishes reported so far at or before it. */
function referencePeak(ops: readonly { kind: 'sent' | 'left'; timeS: number }[]): number {
  const left: number[] = [];
  let sent = 0;
  let peak = 0;
  for (const op of ops) {
    if (op.kind === 'left') left.push(op.timeS);
    else {
      sent++;
      const gone = left.filter((t) => t <= op.timeS).length;
      peak = Math.max(peak, sent - gone);
    }
  }
  return peak;
}

describe('BenchPeaks.maxConcurrent', () => {
  it('counts a hand-made overlap: a finish at the very time of a send is not overlap', () => {
    const p = new BenchPeaks();
    p.sent(0);
    p.sent(1);
    p.left(2); // reported ahead of the clock
    p.left(1.5); // earlier than the last reported finish
    p.sent(1.5); // the 1.5 finish counts out first: 1 in flight, then this send makes 2
    p.sent(2.5); // both finishes passed: 1 (1.5's send) + this one
    expect(p.maxConcurrent).toBe(2);
  });

  it('equals the brute-force count with finishes in order, out of order and in bursts (FIFO wrap and growth)', () => {
    const rng = new RandomStreams(5).stream('peaks');
    for (let trial = 0; trial < 200; trial++) {
      const ops: { kind: 'sent' | 'left'; timeS: number }[] = [];
      let now = 0;
      let lastLeft = 0;
      const disorder = rng.next() < 0.5 ? 0 : rng.next();
      for (let i = 0; i < 400; i++) {
        if (rng.next() < 0.5) {
          // Sometimes at the very time of the last finish reported (a tie counts the finish out first).
          now = rng.next() < 0.15 && lastLeft >= now ? lastLeft : now + (rng.next() < 0.2 ? 0 : rng.next());
          ops.push({ kind: 'sent', timeS: now });
        } else {
          // Mostly after the last finish reported (the FIFO), sometimes before it (the heap), sometimes equal.
          const u = rng.next();
          const t = u < disorder ? now + rng.next() * 3 : u < disorder + 0.1 ? lastLeft : Math.max(lastLeft, now) + rng.next() * 3;
          lastLeft = Math.max(lastLeft, t);
          // Bursts of finishes without a send grow the FIFO past its first size.
          const burst = rng.next() < 0.05 ? 80 : 1;
          for (let k = 0; k < burst; k++) ops.push({ kind: 'left', timeS: t + k * 1e-3 });
          lastLeft = Math.max(lastLeft, t + (burst - 1) * 1e-3);
        }
      }
      const p = new BenchPeaks();
      for (const op of ops) op.kind === 'sent' ? p.sent(op.timeS) : p.left(op.timeS);
      expect(p.maxConcurrent).toBe(referencePeak(ops));
    }
  });
});
