/**
 * User-facing error messages of src/model, moved here from their call sites so they stay
 * consistent and greppable (src/messages.ts; STYLE.md habit 11). Each names what was expected.
 */
import { ioMessages } from './io.js';

export const modelMessages = {
  // src/model/vllm-version.ts
  notAVllmVersion: (value: string, text: string): string => `${value}"${text}" is not a vLLM version; expected MAJOR.MINOR[.PATCH], e.g. "0.5.4" or "0.11.0"`,
  vllmTooOld: (value: string, text: string, OLDEST_MODELLED_VERSION: string): string => `${value}vLLM ${text} is older than the oldest modelled version (${OLDEST_MODELLED_VERSION})`,
  // src/model/quantization.ts
  bfloat16NeedsComputeCapability: (dtype: string, id: string, computeCapability: string): string => `${dtype}: bfloat16 needs compute capability >= 8.0; ${id} has ${computeCapability} (use "float16"/"half", as vLLM requires)`,
  fp8NeedsComputeCapability: (quantization: string, text: string, id: string, computeCapability: string): string => `${quantization}: fp8 needs compute capability >= 8.0 in vLLM ${text} (${id} is ${computeCapability}; FP8 Marlin reached Turing in PR #29901, modelled from 0.14.0)`,
  quantizationNeedsComputeCapability: (quantization: string, q: string, text: string, id: string, computeCapability: string, q2: string): string => `${quantization}: ${q} needs compute capability >= 8.0 in vLLM ${text} (${id} is ${computeCapability}; Marlin reached Turing in PR #29901, modelled from 0.14.0); use "${q2}"`,
  noFp8KvCache: (kvCacheDtype: string, text: string): string => `${kvCacheDtype}: vLLM ${text} has no fp8 KV cache (from 0.4.0)`,
  unsupportedValue: (field: string, value: string, allowed: string): string => `${field}: "${value}" is not supported; expected one of: ${allowed}`,
  // src/model/catalog.ts
  modelsDirectoryNotFound: (): string => `models directory not found (expected models/<kind>/<id>.json)`,
  invalidJson: ioMessages.invalidJson, // one text for every JSON file pdsim reads
  unknownId: (kind: string, id: string, hint: string, value: string): string => `unknown ${kind} id "${id}".${hint} Known ${kind} ids: ${value}`,
};
