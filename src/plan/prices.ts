/**
 * Default GPU prices for `pdsim plan`, $ per GPU-hour, from one source where it has the GPU: AWS
 * on-demand us-east-1 (Q1-2026 list in gpuaudit/cli internal/pricing/gpu_specs.go, as cited in
 * hardware.md Table 1 [S30]; 8-GPU instances divided by 8). Where AWS has no such instance the
 * cited neocloud price is used and named. Prices are snapshots: pass --price for your own.
 * The laptop GPU has none (owned hardware): per-dollar figures are then left out unless --price is given.
 */
import { UserError } from '../errors.js';
import { planMessages } from '../messages/plan.js';

export const DEFAULT_PRICES: Readonly<Record<string, { usdPerHour: number; source: string }>> = {
  t4: { usdPerHour: 0.526, source: 'AWS g4dn.xlarge on-demand [S30]' },
  a10g: { usdPerHour: 1.006, source: 'AWS g5.xlarge on-demand [S30]' },
  l4: { usdPerHour: 0.805, source: 'AWS g6.xlarge on-demand [S30]' },
  l40s: { usdPerHour: 1.86, source: 'AWS g6e.xlarge on-demand [S30]' },
  'a100-sxm-40gb': { usdPerHour: 4.1, source: 'AWS p4d.24xlarge $32.77 / 8 [S30]' },
  'a100-sxm-80gb': { usdPerHour: 5.12, source: 'AWS p4de.24xlarge $40.97 / 8 [S30]' },
  'h100-sxm': { usdPerHour: 12.29, source: 'AWS p5.48xlarge $98.32 / 8 [S30] (before the 2025 price cut)' },
  'h100-pcie': { usdPerHour: 2.86, source: 'Lambda on-demand [S32] (no AWS instance)' },
  'h200-sxm': { usdPerHour: 3.59, source: 'RunPod, low end of $3.59-6.35 [S33] (no AWS list price cited)' },
};

/** Parses "--price l4=0.8,h100-sxm=2.5" and merges it over the defaults, for the GPUs of the plan only. */
export function resolvePrices(spec: string | undefined, gpus: readonly string[]): Record<string, number | undefined> {
  const prices: Record<string, number | undefined> = Object.fromEntries(gpus.map((g) => [g, DEFAULT_PRICES[g]?.usdPerHour]));
  if (spec === undefined) return prices;
  for (const part of spec.split(',').filter((p) => p.trim() !== '')) {
    const eq = part.indexOf('=');
    const id = part.slice(0, eq).trim();
    const v = Number(part.slice(eq + 1));
    if (eq <= 0 || !Number.isFinite(v) || v < 0) throw new UserError(planMessages.invalidPrice(part));
    if (!gpus.includes(id)) throw new UserError(planMessages.priceForUnusedGpu(id, gpus.join(', ')));
    prices[id] = v;
  }
  return prices;
}
