import { describe, expect, it } from 'vitest';
import { startSimServer } from '../server/server.js';
import type { Engine, StepItem } from './engine-api.js';
import { promptFor, StepLoopBackend } from './step-loop.js';

/** An engine that records every step and keeps each slot's KV length; it checks what a real one would refuse. */
function fakeEngine(slots: number, batchTokens: number, contextTokens = 1024) {
  const kv = new Array<number>(slots).fill(0);
  const steps: StepItem[][] = [];
  const engine: Engine = {
    slots,
    contextTokens,
    batchTokens,
    async step(items) {
      steps.push(items.map((i) => ({ ...i, tokens: [...i.tokens] })));
      const total = items.reduce((a, i) => a + i.tokens.length, 0);
      if (total > batchTokens) throw new Error(`batch of ${total} tokens > ${batchTokens}`);
      if (new Set(items.map((i) => i.slot)).size !== items.length) throw new Error('a slot twice in one step');
      for (const i of items) kv[i.slot]! += i.tokens.length;
      await new Promise((r) => setTimeout(r, 1));
      return items.map((i) => (i.sample ? 1000 + i.slot : null));
    },
    async reset(slot) {
      kv[slot] = 0;
    },
    async truncate(slot, keep) {
      kv[slot] = Math.min(kv[slot]!, keep);
    },
    async close() {},
  };
  return { engine, steps, kv };
}

function run(backend: StepLoopBackend, jobs: { promptTokens: number; outputTokens: number }[]) {
  const tokens = jobs.map(() => [] as number[]);
  const done = jobs.map(
    (j, id) =>
      new Promise<void>((res, rej) =>
        backend.submit({ id, ...j }, { onTokens: (n) => tokens[id]!.push(n), onFinish: (e) => (e ? rej(new Error(e)) : res()) }),
      ),
  );
  return { tokens, all: Promise.all(done) };
}

describe('step loop (vLLM V1 schedule over one batched engine step)', () => {
  it('every request gets exactly max_tokens tokens; steps respect the token budget and the slots', async () => {
    const f = fakeEngine(3, 64);
    const b = new StepLoopBackend(f.engine, 32000);
    const jobs = [100, 10, 40, 5, 70].map((p, i) => ({ promptTokens: p, outputTokens: 3 + i }));
    const r = run(b, jobs);
    await r.all;
    await b.idle();
    expect(r.tokens.map((t) => t.reduce((a, x) => a + x, 0))).toEqual(jobs.map((j) => j.outputTokens));
    for (const s of f.steps) {
      expect(s.reduce((a, i) => a + i.tokens.length, 0)).toBeLessThanOrEqual(64);
      expect(s.length).toBeLessThanOrEqual(3);
    }
    // Tokens conserved: every prompt token and every generated token but the last of each request is computed once.
    const computed = f.steps.flat().reduce((a, i) => a + i.tokens.length, 0);
    expect(computed).toBe(jobs.reduce((a, j) => a + j.promptTokens + j.outputTokens - 1, 0));
    expect(b.load()).toMatchObject({ running: 0, waiting: 0 });
  });

  it('chunks a long prompt to the budget and samples only when the prompt completes; a step runs as llama.cpp-sized passes', async () => {
    const f = fakeEngine(2, 32);
    const b = new StepLoopBackend(f.engine, 32000);
    const r = run(b, [
      { promptTokens: 8, outputTokens: 4 },
      { promptTokens: 70, outputTokens: 1 },
    ]);
    await r.all;
    const shape = (k: number) => f.steps[k]!.map((i) => [i.slot, i.tokens.length, i.sample]);
    const [A, B] = [f.steps[0]![0]!.slot, f.steps[1]![0]!.slot];
    // Step 1, prompt chunks only: A's whole prompt (8), then B's first chunk (24 = what the budget leaves), a pass each.
    expect(shape(0)).toEqual([[A, 8, true]]);
    expect(shape(1)).toEqual([[B, 24, false]]);
    expect(f.steps[1]![0]!.tokens).toEqual(promptFor(1, 70, 32000).slice(0, 24));
    // Step 2: A decodes its sampled token; pass 1 = one token of each sequence, then the rest of B's 31-token chunk.
    expect(shape(2)).toEqual([[A, 1, true], [B, 1, false]].sort((x, y) => (x[0] as number) - (y[0] as number)));
    expect(f.steps[2]!.find((i) => i.slot === A)!.tokens).toEqual([1000 + A]);
    expect(shape(3)).toEqual([[B, 30, false]]);
    // Step 3: A decodes, B's last 15 prompt tokens complete its prompt: it samples its only token in the second pass.
    expect(shape(4)).toEqual([[A, 1, true], [B, 1, false]].sort((x, y) => (x[0] as number) - (y[0] as number)));
    expect(shape(5)).toEqual([[B, 14, true]]);
    // Step 4: A's last decode, alone.
    expect(shape(6)).toEqual([[A, 1, true]]);
    expect(b.stats).toMatchObject({ steps: 4, passes: 7, padTokens: 0 });
  });

  it('a pass covers consecutive slots: a free slot inside its range gets a throw-away token, erased after it', async () => {
    const f = fakeEngine(3, 64);
    const b = new StepLoopBackend(f.engine, 32000);
    // Three requests take slots 0, 1, 2 (lowest free first); the one in slot 1 finishes first.
    const r = run(b, [
      { promptTokens: 4, outputTokens: 6 },
      { promptTokens: 4, outputTokens: 2 },
      { promptTokens: 4, outputTokens: 6 },
    ]);
    await r.all;
    const padded = f.steps.filter((s) => s.length === 3 && s.some((i) => i.slot === 1 && !i.sample));
    expect(padded.length).toBeGreaterThan(0);
    for (const s of f.steps) expect(s.map((i) => i.slot)).toEqual([...s.map((i) => i.slot)].sort((x, y) => x - y));
    expect(b.stats.padTokens).toBe(padded.length);
    expect(f.kv.every((k) => k === 0)).toBe(true);
  });

  it('an aborted request frees its slot for a waiting one', async () => {
    const f = fakeEngine(1, 64);
    const b = new StepLoopBackend(f.engine, 32000);
    let got = 0;
    const h = b.submit({ id: 0, promptTokens: 4, outputTokens: 1000 }, { onTokens: () => void got++, onFinish: () => {} });
    const second = new Promise<void>((res) => b.submit({ id: 1, promptTokens: 4, outputTokens: 2 }, { onTokens: () => {}, onFinish: () => res() }));
    while (got < 3) await new Promise((r) => setTimeout(r, 1));
    h.cancel();
    await second;
    expect(got).toBeLessThan(10);
    expect(f.kv[0]).toBe(0);
  });

  it('refuses a request longer than the per-sequence context', async () => {
    const b = new StepLoopBackend(fakeEngine(1, 64, 100).engine, 32000);
    const err = await new Promise<string | undefined>((res) => b.submit({ id: 0, promptTokens: 90, outputTokens: 20 }, { onTokens: () => {}, onFinish: res }));
    expect(err).toMatch(/exceeds the engine's 100-token context/);
  });
});

describe('step loop behind the OpenAI server (real HTTP)', () => {
  it('streams one SSE chunk per token with usage, and a client disconnect frees the sequence', async () => {
    const f = fakeEngine(2, 64);
    const backend = new StepLoopBackend(f.engine, 32000);
    const s = await startSimServer({ backend, modelName: 'm', maxModelLen: 1024 });
    try {
      const body = { model: 'm', prompt: [300, 301, 302], max_tokens: 3, stream: true, stream_options: { include_usage: true }, ignore_eos: true };
      const r = await fetch(`${s.url}/v1/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      const events = (await r.text()).split('\n\n').filter((e) => e.startsWith('data: ')).map((e) => e.slice(6));
      expect(events.at(-1)).toBe('[DONE]');
      const chunks = events.slice(0, -1).map((e) => JSON.parse(e) as { choices: unknown[]; usage?: unknown });
      expect(chunks.filter((c) => c.choices.length > 0)).toHaveLength(3);
      expect(chunks.at(-1)!.usage).toEqual({ prompt_tokens: 3, completion_tokens: 3, total_tokens: 6 });

      const ctl = new AbortController();
      const long = await fetch(`${s.url}/v1/completions`, { method: 'POST', signal: ctl.signal, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ...body, max_tokens: 900 }) });
      const reader = long.body!.getReader();
      await reader.read();
      expect(backend.load().running).toBe(1);
      ctl.abort();
      await reader.read().catch(() => undefined);
      for (let i = 0; i < 200 && backend.load().running > 0; i++) await new Promise((res) => setTimeout(res, 5));
      expect(backend.load().running).toBe(0);
      expect(f.kv.every((k) => k === 0)).toBe(true);
    } finally {
      await s.close();
    }
  });
});
