import { describe, expect, it } from 'vitest';
import { Slots, usageTokens } from './client.js';

describe('load client: reading the usage chunk from a stream tail', () => {
  it('takes the last completion_tokens (the final usage chunk), none when absent', () => {
    const tail = 'data: {"choices":[{"text":"a"}],"usage":{"completion_tokens":3}}\n\ndata: {"choices":[],"usage":{"prompt_tokens":16,"completion_tokens":1000}}\n\ndata: [DONE]\n\n';
    expect(usageTokens(tail)).toBe(1000);
    expect(usageTokens('data: [DONE]\n\n')).toBeUndefined();
  });
});

describe('connection slots', () => {
  it('let n through at once and the next only when one is given back, in order', async () => {
    const s = new Slots(2);
    const order: number[] = [];
    const all = [1, 2, 3, 4].map((i) => s.take().then(() => order.push(i)));
    await Promise.resolve();
    await Promise.resolve();
    expect(order).toEqual([1, 2]);
    s.give();
    await all[2];
    expect(order).toEqual([1, 2, 3]);
    s.give();
    await Promise.all(all);
    expect(order).toEqual([1, 2, 3, 4]);
  });
});
