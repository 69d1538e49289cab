/** Where a served or profiled model comes from: a GGUF file, or a test model written first (test-models.ts). */
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { UserError } from '../../src/errors.js';
import { llamacppMessages } from '../../src/messages/llamacpp.js';
import { ensureTestModel, TEST_MODELS } from './test-models.js';

export const DEFAULT_MODEL_DIR = join(tmpdir(), 'pdsim-gguf');

export function resolveModel(o: { model?: string; testModel?: string; modelDir?: string }): { path: string; name: string; vocab: number } {
  if (o.testModel !== undefined) {
    const spec = TEST_MODELS[o.testModel];
    if (!spec) throw new UserError(llamacppMessages.unknownTestModel(o.testModel, Object.keys(TEST_MODELS).join(', ')));
    return { path: ensureTestModel(o.testModel, o.modelDir ?? DEFAULT_MODEL_DIR), name: spec.id, vocab: spec.vocab };
  }
  if (o.model === undefined) throw new UserError(llamacppMessages.needModelOrTestModel());
  // A GGUF from elsewhere: its vocabulary size is unknown here; 32000 covers Llama-2-style vocabularies.
  return { path: o.model, name: basename(o.model).replace(/\.gguf$/, ''), vocab: 32000 };
}
