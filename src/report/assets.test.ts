// The inlined libraries as bytes: the same text the string path (read as UTF-8, escapeScript, wrap,
// join) gives, found and escaped independently here, and the fallbacks for text that needs an escape
// or is not UTF-8.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { escapeScript, scriptBytes, vegaLibrariesHtml } from './assets.js';

describe('vegaLibrariesHtml', () => {
  it('is the three builds read as text, escaped and wrapped, in load order', () => {
    const require = createRequire(import.meta.url);
    const expected = [['vega', 'vega.min.js'], ['vega-lite', 'vega-lite.min.js'], ['vega-embed', 'vega-embed.min.js']]
      .map(([name, file]) => `<script data-library="${name}">\n${escapeScript(readFileSync(join(dirname(require.resolve(name!)), file!), 'utf8'))}\n</script>`)
      .join('\n');
    expect(vegaLibrariesHtml().equals(Buffer.from(expected))).toBe(true);
  });
});

describe('scriptBytes', () => {
  const viaString = (b: Buffer) => Buffer.from(escapeScript(b.toString('utf8')));
  it('keeps bytes that need no escape, multi-byte UTF-8 included', () => {
    const b = Buffer.from('if (a < b) s = "µ €"; // <b> <! -- </scrip');
    expect(scriptBytes(b)).toBe(b);
  });
  it('escapes "</script" and "<!--" in any case, as the string path does', () => {
    for (const text of ['x="</script>"', 'x="</SCRIPT>"', 'x="<!--"', 'é="</ScRiPt"']) {
      const b = Buffer.from(text);
      expect(scriptBytes(b).equals(viaString(b)), text).toBe(true);
      expect(scriptBytes(b).toString()).toContain('\\x3C');
    }
  });
  it('decodes text that is not UTF-8 as readFileSync(…, "utf8") would (U+FFFD)', () => {
    const b = Buffer.from([0x61, 0xff, 0x62]);
    expect(scriptBytes(b).equals(viaString(b))).toBe(true);
    expect(scriptBytes(b).toString()).toBe('a\uFFFDb');
  });
});
