/**
 * The engine's KV connector: which implementation for an instance's tiers and role. A new one is
 * one file plus its line here (and in the contract suite's list).
 */
import type { KvTiers } from '../kv-tiers.js';
import { NoKvConnector } from './none.js';
import { OffloadKvConnector, type ConnectorEngine } from './offload.js';
import { PdDecodeKvConnector } from './pd-decode.js';
import { PdPrefillKvConnector } from './pd-prefill.js';
import { SwapKvConnector } from './swap.js';
import type { KvConnector } from './types.js';

export type { AdmitResult, KvConnector } from './types.js';
export type { ConnectorEngine } from './offload.js';
export { NoKvConnector, OffloadKvConnector, SwapKvConnector };

/** The connector over an instance's KV tiers: offload (CPU/disk tiers), swap, or swap around offload. */
export function tiersConnector(tiers: KvTiers, engine: ConnectorEngine, onReady: () => void): KvConnector {
  const base: KvConnector = tiers.store !== null || !tiers.swapEnabled ? new OffloadKvConnector(tiers, engine, onReady) : new NoKvConnector();
  return tiers.swapEnabled ? new SwapKvConnector(tiers, engine, onReady, base) : base;
}

export function connectorForRole(role: 'colocated' | 'prefill' | 'decode', inner: KvConnector): KvConnector {
  if (role === 'prefill') return new PdPrefillKvConnector(inner);
  if (role === 'decode') return new PdDecodeKvConnector(inner);
  return inner;
}
