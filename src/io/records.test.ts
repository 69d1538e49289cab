import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { userError } from '../errors-testing.js';
import { GZIP_HEAD_BYTES, lines, textChunks } from './records.js';

const dir = mkdtempSync(path.join(tmpdir(), 'pdsim-records-'));
function write(name: string, bytes: string | Buffer): string {
  const f = path.join(dir, name);
  writeFileSync(f, bytes);
  return f;
}

/** Text that compresses poorly (random digits) with multi-byte characters strewn through it, so chunk cuts fall inside them. */
function noisyText(lineCount: number): string {
  // A fixed linear congruential sequence: the same text every run.
  let x = 7;
  const rnd = (): number => (x = (x * 1103515245 + 12345) % 2147483648) / 2147483648;
  const out: string[] = [];
  for (let i = 0; i < lineCount; i++) out.push(`${i},${Math.floor(rnd() * 1e12)},${i % 7 === 0 ? 'é€😀' : 'x'},${Math.floor(rnd() * 1e9)}`);
  return `${out.join('\n')}\n`;
}

describe('textChunks of gzip files (head first, then the rest)', () => {
  const text = noisyText(40_000);
  const gz = gzipSync(text);

  it('is a test of a file longer than the head', () => {
    expect(gz.length).toBeGreaterThan(4 * GZIP_HEAD_BYTES);
  });

  it('joins to the file text exactly, in two chunks, the first a prefix ending anywhere', () => {
    const chunks = [...textChunks(write('a.csv.gz', gz), 'trace file', true)];
    expect(chunks.length).toBe(2);
    expect(chunks.join('')).toBe(text);
    expect(chunks[0]!.length).toBeGreaterThan(0);
    expect(chunks[0]!.length).toBeLessThan(text.length / 2);
  });

  it('drops a BOM, reads concatenated gzip members whole, and small files in one chunk', () => {
    const bom = [...textChunks(write('bom.csv.gz', gzipSync(`\ufeff${text}`)), 't', true)];
    expect(bom.join('')).toBe(text);
    const two = [...textChunks(write('two.csv.gz', Buffer.concat([gz, gzipSync('tail,1\n')])), 't', true)];
    expect(two.join('')).toBe(`${text}tail,1\n`);
    const small = [...textChunks(write('s.csv.gz', gzipSync('\ufeffa,b\n1,2\n')), 't', true)];
    expect(small).toEqual(['a,b\n1,2\n']);
  });

  it('equals the whole-file read (one chunk) and the lines of the plain file', () => {
    const f = write('p.csv.gz', gz);
    expect([...textChunks(f, 't')]).toEqual([text]);
    expect([...textChunks(f, 't', true)].join('')).toBe(text);
    const plain = [...lines(write('p.csv', text), 't')];
    expect([...lines(f, 't')]).toEqual(plain);
  });

  it('yields the head before reading the rest: a reader that stops there never sees a damaged tail', () => {
    const damaged = Buffer.from(gz);
    damaged.fill(0x55, gz.length - 20_000, gz.length - 8);
    const chunks = textChunks(write('d.csv.gz', damaged), 'trace file', true);
    const head = chunks.next();
    expect(head.done).toBe(false);
    expect(text.startsWith(head.value as string)).toBe(true);
    // Reading on inflates the whole file, which fails with the file named.
    const e = userError(() => chunks.next());
    expect(e.message).toContain('d.csv.gz');
    expect(e.message).toContain('not a valid gzip file');
  });

  it('reports a truncated file or one that is not gzip when read whole', () => {
    const cut = write('cut.csv.gz', gz.subarray(0, gz.length - 100));
    expect(userError(() => [...textChunks(cut, 't', true)]).message).toContain('not a valid gzip file');
    const junk = write('junk.csv.gz', 'hello, not gzip\n'.repeat(10_000));
    expect(userError(() => [...textChunks(junk, 't', true)]).message).toContain('not a valid gzip file');
  });
});
