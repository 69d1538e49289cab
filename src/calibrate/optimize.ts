/**
 * Nelder-Mead minimisation (no derivatives needed; our objectives have max() kinks) with restarts.
 * Parameters are searched in an unconstrained space; callers map them to physical ranges
 * (log for positive values, logistic for fractions), so every candidate is physically valid.
 */

export interface MinimizeResult {
  x: number[];
  value: number;
  evaluations: number;
}

export function nelderMead(f: (x: number[]) => number, x0: readonly number[], opts: { step?: number; maxEvals?: number; tol?: number } = {}): MinimizeResult {
  const n = x0.length;
  const step = opts.step ?? 0.5;
  const maxEvals = opts.maxEvals ?? 4000;
  const tol = opts.tol ?? 1e-9;
  let evals = 0;
  const fx = (x: number[]) => {
    evals++;
    const v = f(x);
    return Number.isFinite(v) ? v : Infinity;
  };
  let simplex: { x: number[]; v: number }[] = [{ x: [...x0], v: fx([...x0]) }];
  for (let i = 0; i < n; i++) {
    const x = [...x0];
    x[i] = x[i]! + step;
    simplex.push({ x, v: fx(x) });
  }
  while (evals < maxEvals) {
    simplex.sort((a, b) => a.v - b.v);
    const best = simplex[0]!;
    const worst = simplex[n]!;
    if (Math.abs(worst.v - best.v) <= tol * (Math.abs(best.v) + 1e-12)) break;
    const centroid = new Array<number>(n).fill(0);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) centroid[j]! += simplex[i]!.x[j]! / n;
    const along = (t: number) => centroid.map((c, j) => c + t * (worst.x[j]! - c));
    const xr = along(-1);
    const vr = fx(xr);
    if (vr < best.v) {
      const xe = along(-2);
      const ve = fx(xe);
      simplex[n] = ve < vr ? { x: xe, v: ve } : { x: xr, v: vr };
    } else if (vr < simplex[n - 1]!.v) {
      simplex[n] = { x: xr, v: vr };
    } else {
      const xc = vr < worst.v ? along(-0.5) : along(0.5);
      const vc = fx(xc);
      if (vc < Math.min(vr, worst.v)) simplex[n] = { x: xc, v: vc };
      else {
        // Shrink towards the best vertex.
        simplex = simplex.map((p, i) => {
          if (i === 0) return p;
          const x = p.x.map((xi, j) => best.x[j]! + 0.5 * (xi - best.x[j]!));
          return { x, v: fx(x) };
        });
      }
    }
  }
  simplex.sort((a, b) => a.v - b.v);
  return { x: simplex[0]!.x, value: simplex[0]!.v, evaluations: evals };
}

/** Restarts from the best point found so far shake the simplex out of flat regions. */
export function minimize(f: (x: number[]) => number, x0: readonly number[], restarts = 4, maxEvals = 3000): MinimizeResult {
  let r = nelderMead(f, x0, { maxEvals });
  let total = r.evaluations;
  for (let i = 0; i < restarts; i++) {
    const next = nelderMead(f, r.x, { maxEvals, step: 0.3 / (i + 1) });
    total += next.evaluations;
    if (next.value < r.value) r = next;
  }
  return { ...r, evaluations: total };
}

/** Robust loss on log-ratio residuals: quadratic near 0, linear beyond `scale` (soft-L1). */
export function softL1(residuals: Iterable<number>, scale = 0.05): number {
  let s = 0;
  for (const r of residuals) {
    const z = r / scale;
    s += 2 * (Math.sqrt(1 + z * z) - 1);
  }
  return s;
}

export const logistic = (x: number): number => 1 / (1 + Math.exp(-x));
export const logit = (p: number): number => Math.log(p / (1 - p));
