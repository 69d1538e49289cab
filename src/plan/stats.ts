/**
 * Small-sample statistics for replicated runs: mean, Student-t 95% interval of a mean, and Welch's
 * t-interval of a difference of two means. Exact t quantiles (no table): the t CDF through the
 * regularized incomplete beta function, inverted by bisection. Pure functions, no I/O.
 */

/** ln Γ(x), Lanczos approximation (Numerical Recipes 3rd ed., §6.1, `gammln`), |error| < 2e-10. */
function lnGamma(x: number): number {
  const cof = [57.1562356658629235, -59.5979603554754912, 14.1360979747417471, -0.491913816097620199, 0.339946499848118887e-4, 0.465236289270485756e-4, -0.983744753048795646e-4, 0.158088703224912494e-3, -0.210264441724104883e-3, 0.217439618115212643e-3, -0.164318106536763890e-3, 0.844182239838527433e-4, -0.261908384015814087e-4, 0.368991826595316234e-5];
  let y = x;
  const tmp0 = x + 5.24218750000000000;
  const tmp = (x + 0.5) * Math.log(tmp0) - tmp0;
  let ser = 0.999999999999997092;
  for (const c of cof) ser += c / ++y;
  return tmp + Math.log((2.5066282746310005 * ser) / x);
}

/** Continued fraction of the incomplete beta function (Numerical Recipes §6.4, `betacf`, modified Lentz). */
function betaCf(a: number, b: number, x: number): number {
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 300; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((a - 1 + m2) * (a + m2));
    d = 1 + aa * d;
    d = Math.abs(d) < tiny ? tiny : d;
    c = 1 + aa / c;
    c = Math.abs(c) < tiny ? tiny : c;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + 1 + m2));
    d = 1 + aa * d;
    d = Math.abs(d) < tiny ? tiny : d;
    c = 1 + aa / c;
    c = Math.abs(c) < tiny ? tiny : c;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < 1e-15) break;
  }
  return h;
}

/** Regularized incomplete beta I_x(a, b). */
export function incompleteBeta(a: number, b: number, x: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const bt = Math.exp(lnGamma(a + b) - lnGamma(a) - lnGamma(b) + a * Math.log(x) + b * Math.log(1 - x));
  return x < (a + 1) / (a + b + 2) ? (bt * betaCf(a, b, x)) / a : 1 - (bt * betaCf(b, a, 1 - x)) / b;
}

/** CDF of Student's t with `df` degrees of freedom (df may be fractional, as Welch's is). */
export function studentTCdf(t: number, df: number): number {
  const tail = 0.5 * incompleteBeta(df / 2, 0.5, df / (df + t * t));
  return t >= 0 ? 1 - tail : tail;
}

/** The p-quantile of Student's t (p in (0.5, 1)), by bisection on the CDF to 1e-10. */
export function studentTQuantile(p: number, df: number): number {
  if (!(p > 0.5 && p < 1) || !(df > 0)) throw new Error(`studentTQuantile: p=${p}, df=${df}`);
  let lo = 0;
  let hi = 1;
  while (studentTCdf(hi, df) < p) hi *= 2;
  for (let i = 0; i < 200 && hi - lo > 1e-10; i++) {
    const mid = (lo + hi) / 2;
    if (studentTCdf(mid, df) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

export interface Interval {
  mean: number;
  /** Bounds of the 95% interval; equal to the mean when n = 1 (no spread measurable). */
  lo: number;
  hi: number;
  /** Sample standard deviation (n - 1 denominator); 0 when n = 1. */
  sd: number;
  n: number;
}

export function mean(xs: readonly number[]): number {
  let s = 0;
  for (const x of xs) s += x;
  return s / xs.length;
}

function variance(xs: readonly number[], m: number): number {
  let s = 0;
  for (const x of xs) s += (x - m) * (x - m);
  return xs.length > 1 ? s / (xs.length - 1) : 0;
}

/** Mean and the Student-t 95% confidence interval of the mean of independent samples. */
export function meanInterval(xs: readonly number[], level = 0.95): Interval {
  if (xs.length === 0) throw new Error('meanInterval of no samples');
  const m = mean(xs);
  const sd = Math.sqrt(variance(xs, m));
  if (xs.length === 1) return { mean: m, lo: m, hi: m, sd: 0, n: 1 };
  const half = studentTQuantile(1 - (1 - level) / 2, xs.length - 1) * (sd / Math.sqrt(xs.length));
  return { mean: m, lo: m - half, hi: m + half, sd, n: xs.length };
}

export interface DifferenceInterval {
  /** mean(b) - mean(a). */
  diff: number;
  lo: number;
  hi: number;
  /** Welch-Satterthwaite degrees of freedom. */
  df: number;
  /** True when the interval excludes 0: the difference is larger than the seed-to-seed noise. */
  significant: boolean;
}

/**
 * Welch's t-interval for mean(b) - mean(a) with unequal variances (Welch 1947; df by
 * Welch-Satterthwaite). Needs at least 2 samples on each side. When both samples have zero
 * variance the interval is the point difference (significant when it is not 0).
 */
export function welchInterval(a: readonly number[], b: readonly number[], level = 0.95): DifferenceInterval {
  if (a.length < 2 || b.length < 2) throw new Error('welchInterval needs at least 2 samples per side');
  const ma = mean(a);
  const mb = mean(b);
  const va = variance(a, ma) / a.length;
  const vb = variance(b, mb) / b.length;
  const diff = mb - ma;
  if (va + vb === 0) return { diff, lo: diff, hi: diff, df: Infinity, significant: diff !== 0 };
  const df = (va + vb) ** 2 / ((va * va) / (a.length - 1) + (vb * vb) / (b.length - 1));
  const half = studentTQuantile(1 - (1 - level) / 2, df) * Math.sqrt(va + vb);
  return { diff, lo: diff - half, hi: diff + half, df, significant: diff - half > 0 || diff + half < 0 };
}
