/**
 * The browser builds of vega, vega-lite and vega-embed, read from node_modules so reports work
 * offline (no CDN). The packages' `exports` maps hide `build/*.min.js`, so we resolve each package's
 * entry point and look beside it: all three keep their entry and their min.js in `build/`.
 */
import { isUtf8 } from 'node:buffer';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);

/** Load order matters: vega-lite needs the global `vega`, vega-embed needs both. */
const LIBRARIES = [
  { name: 'vega', file: 'vega.min.js' },
  { name: 'vega-lite', file: 'vega-lite.min.js' },
  { name: 'vega-embed', file: 'vega-embed.min.js' },
] as const;

/** What escapeScript rewrites: "</script" and "<!--", any case (one pattern for it and scriptBytes's check). */
const UNSAFE_IN_SCRIPT = /<(\/script|!--)/i;
const UNSAFE_IN_SCRIPT_G = new RegExp(UNSAFE_IN_SCRIPT.source, 'gi');

/**
 * Makes JS source safe inside <script>: "</script" would close the element and "<!--" can switch
 * the HTML parser into its escaped state. Such text can only sit in JS strings, templates or regexes,
 * where \x3C means "<" (also in /u regexes, unlike "\!"), so the program is unchanged.
 */
export function escapeScript(source: string): string {
  return source.replace(UNSAFE_IN_SCRIPT_G, '\\x3C$1');
}

/**
 * `<package>/build/<file>`: the first node_modules/<package>/build/<file> above this module (where
 * Node's lookup of a bare name finds the package; ~1 ms), else beside what require.resolve finds
 * (5-9 ms at a run's start: exports maps, package.json reads).
 */
function libraryPath(name: string, file: string): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; ) {
    const candidate = join(dir, 'node_modules', name, 'build', file);
    if (existsSync(candidate)) return candidate;
    const up = dirname(dir);
    if (up === dir) return join(dirname(require.resolve(name)), file);
    dir = up;
  }
}

/**
 * A library's <script> text as bytes: the file's own bytes when they are UTF-8 and escapeScript
 * would change nothing (the pattern is ASCII, so a latin1 view finds exactly its matches), which
 * spares decoding and re-encoding ~830 KB per report (~10 ms); else through the string.
 */
export function scriptBytes(bytes: Buffer): Buffer {
  if (isUtf8(bytes) && !UNSAFE_IN_SCRIPT.test(bytes.toString('latin1'))) return bytes;
  return Buffer.from(escapeScript(bytes.toString('utf8')));
}

let librariesHtml: Buffer | undefined;

/**
 * The three libraries as the report inlines them, in load order, read once per process: a
 * `<script data-library="name">` element each, escaped (escapeScript), joined by newlines; UTF-8.
 */
export function vegaLibrariesHtml(): Buffer {
  librariesHtml ??= Buffer.concat(LIBRARIES.flatMap(({ name, file }, i) => [
    Buffer.from(`${i > 0 ? '\n' : ''}<script data-library="${name}">\n`),
    scriptBytes(readFileSync(libraryPath(name, file))),
    Buffer.from('\n</script>'),
  ]));
  return librariesHtml;
}
