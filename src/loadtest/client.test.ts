import { describe, expect, it } from 'vitest';
import { usageTokens } from './client.js';

describe('load client: reading the usage chunk from a stream tail', () => {
  it('takes the last completion_tokens (the final usage chunk), none when absent', () => {
    const tail = 'data: {"choices":[{"text":"a"}],"usage":{"completion_tokens":3}}\n\ndata: {"choices":[],"usage":{"prompt_tokens":16,"completion_tokens":1000}}\n\ndata: [DONE]\n\n';
    expect(usageTokens(tail)).toBe(1000);
    expect(usageTokens('data: [DONE]\n\n')).toBeUndefined();
  });
});
