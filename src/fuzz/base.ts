/** A small valid scenario (a few requests, fast if a bad case slips through) and YAML helpers. */
import { stringify } from 'yaml';

export function baseScenario(): Record<string, unknown> {
  return {
    name: 'fuzz',
    seed: 1,
    model: 'llama-3.1-8b',
    engine: { maxNumSeqs: 64, maxNumBatchedTokens: 4096, maxModelLen: 4096 },
    deployment: {
      pools: [{ role: 'colocated', gpu: 'h100-sxm', instances: 1, tp: 1 }],
      topology: { gpusPerNode: 8, nic: 'ib-ndr' },
    },
    workload: {
      requests: 5,
      arrival: { process: 'poisson', rate: 2 },
      input: { dist: 'fixed', value: 100 },
      output: { dist: 'fixed', value: 10 },
    },
  };
}

/** Values that YAML cannot carry as numbers are written as `RAW(text)` and spliced in unquoted. */
export const raw = (text: string): string => `RAW(${text})`;

export function toYaml(doc: unknown): string {
  return stringify(doc).replace(/['"]?RAW\(([^)]*)\)['"]?/g, '$1');
}

/** Sets `value` at a dotted path, creating objects (and arrays for numeric keys) on the way. */
export function setPath(doc: Record<string, unknown>, dotted: string, value: unknown): void {
  const keys = dotted.split('.');
  let o = doc as Record<string, unknown>;
  for (let i = 0; i < keys.length - 1; i++) {
    const k = keys[i]!;
    if (o[k] === undefined || o[k] === null || typeof o[k] !== 'object') o[k] = /^\d+$/.test(keys[i + 1]!) ? [] : {};
    o = o[k] as Record<string, unknown>;
  }
  o[keys[keys.length - 1]!] = value;
}

export function deletePath(doc: Record<string, unknown>, dotted: string): void {
  const keys = dotted.split('.');
  let o: unknown = doc;
  for (const k of keys.slice(0, -1)) o = (o as Record<string, unknown> | undefined)?.[k];
  if (o && typeof o === 'object') delete (o as Record<string, unknown>)[keys[keys.length - 1]!];
}

export const pointerOf = (dotted: string): string => `/${dotted.split('.').join('/')}`;
