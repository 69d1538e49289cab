/** The engine's KV connector for a role, over an inner connector (none, or KV tiers). */
import type { KvConnector } from './types.js';
import { PdDecodeKvConnector } from './pd-decode.js';
import { PdPrefillKvConnector } from './pd-prefill.js';

export type { AdmitResult, KvConnector } from './types.js';
export { NoKvConnector } from './none.js';
export { TiersKvConnector } from './tiers.js';

export function connectorForRole(role: 'colocated' | 'prefill' | 'decode', inner: KvConnector): KvConnector {
  if (role === 'prefill') return new PdPrefillKvConnector(inner);
  if (role === 'decode') return new PdDecodeKvConnector(inner);
  return inner;
}
