import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runValidate } from '../vllm/validate-run.js';
import { startScenarioServer } from './from-scenario.js';
import { loadTokenizer } from './tokenizer-real.js';

describe('real tokenizers', () => {
  it('Qwen2.5: the published special-token ids, lossless round trip, ChatML template', async () => {
    const t = await loadTokenizer('qwen2.5-7b-instruct');
    expect(t.kind).toBe('real');
    // Qwen2 tokenizer_config.json: <|endoftext|> 151643, <|im_start|> 151644, <|im_end|> 151645.
    expect(t.encode('<|endoftext|><|im_start|><|im_end|>')).toEqual([151643, 151644, 151645]);
    const text = 'Disaggregated prefill: KV caches move over PCIe — 3.5 GB/s, naïve 東京 🙂';
    const ids = t.encode(text);
    expect(ids.length).toBeLessThan(text.length); // BPE merges, unlike one token per character
    expect(t.decode(ids)).toBe(text);
    expect(ids.every((id) => id >= 0 && id < 151643)).toBe(true);
    expect(t.chatPrompt([{ role: 'user', content: 'hi' }])).toBe(
      '<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n',
    );
    expect(t.chatPrompt([{ role: 'system', content: 'S' }, { role: 'user', content: 'u' }])).toBe('<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nu<|im_end|>\n<|im_start|>assistant\n');
    for (let i = 0; i < 100; i++) expect(t.encode(t.generated(i).text)).toEqual([t.generated(i).id]);
  }, 60_000); // loading the 7 MB vocabulary takes seconds on a loaded machine

  it('sizes chat prompts exactly: template included, same ids give the same text', async () => {
    const t = await loadTokenizer('qwen2.5-1.5b-instruct');
    for (const n of [t.chatOverheadTokens + 1, 64, 257, 1000]) {
      const ids = Array.from({ length: n }, (_, i) => 1000 + ((i * 7919) % 28000));
      const content = t.chatContentForTokens(ids);
      expect(t.encode(t.chatPrompt([{ role: 'user', content }])).length).toBe(n);
      expect(t.chatContentForTokens(ids)).toBe(content);
    }
  }, 60_000);

  it('models without a shippable tokenizer get the approximate one and say so', async () => {
    const t = await loadTokenizer('llama-3.1-8b');
    expect(t.kind).toBe('approximate');
    expect(t.description).toMatch(/approximate/);
    expect(t.encode('a b  c')).toHaveLength(3);
  });

  it('pdsim serve counts chat prompts with it, and validate --api chat sends exactly sized prompts', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pdsim-tok-'));
    const sc = join(dir, 'qwen.yaml');
    writeFileSync(sc, readFileSync('scenarios/quickstart.yaml', 'utf8').replace('model: llama-3.1-8b', 'model: qwen2.5-7b-instruct'));
    const server = await startScenarioServer(sc, { speed: 50 });
    try {
      expect(server.tokenizerDescription).toMatch(/Qwen2 byte-level BPE/);
      const r = await fetch(`${server.url}/v1/chat/completions`, {
        method: 'POST', headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: server.modelName, messages: [{ role: 'user', content: 'Hello, my dog is cute' }], max_tokens: 2 }),
      });
      const body = (await r.json()) as { usage: { prompt_tokens: number }; choices: { message: { content: string } }[] };
      const t = await loadTokenizer('qwen2.5-7b-instruct');
      expect(body.usage.prompt_tokens).toBe(t.encode(t.chatPrompt([{ role: 'user', content: 'Hello, my dog is cute' }])).length);
      expect(t.encode(body.choices[0]!.message.content)).toHaveLength(2); // generated words are real single tokens
      const v = await runValidate(sc, { out: join(dir, 'val'), endpoint: server.url, api: 'chat', requests: 4, speed: 50, report: false });
      expect(v.notes.join('\n')).toMatch(/sized with Qwen2 byte-level BPE/);
      expect(v.liveResults.filter((x) => x.lengthMismatch !== undefined)).toEqual([]);
      expect(v.liveResults.every((x) => x.success && x.usagePromptTokens === x.promptTokens)).toBe(true);
    } finally {
      await server.close();
    }
  }, 60_000);
});
