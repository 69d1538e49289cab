/**
 * Rich output for the Deno Jupyter kernel: a value with a `Symbol.for('Jupyter.display')` method is
 * shown as the MIME bundle it returns (Deno's jupyter docs). Charts are the project's Vega-Lite specs
 * rendered to SVG headlessly (src/report/svg.ts), so they show in nbconvert output, on GitHub and
 * in any Jupyter front end without a Vega extension.
 */
import type { TopLevelSpec } from 'vega-lite';
import { renderSvg } from '../report/svg.js';

const DISPLAY = Symbol.for('Jupyter.display');

export interface Displayable {
  [DISPLAY](): Record<string, string>;
}

export const displayable = (bundle: Record<string, string>): Displayable => ({ [DISPLAY]: () => bundle });

/** A Vega-Lite chart as inline SVG (plus its title as text/plain). */
export async function chart(spec: TopLevelSpec): Promise<Displayable> {
  const title = typeof spec.title === 'string' ? spec.title : 'chart';
  return displayable({ 'image/svg+xml': await renderSvg(spec), 'text/plain': `[${title}]` });
}

/** Several charts, one after another, as one HTML output of inline SVGs. */
export async function charts(specs: readonly TopLevelSpec[]): Promise<Displayable> {
  const svgs = await Promise.all(specs.map((s) => renderSvg(s)));
  return displayable({ 'text/html': svgs.map((s) => `<div>${s}</div>`).join('\n'), 'text/plain': `[${specs.length} charts]` });
}

/** Markdown (e.g. from markdownTable) as a rendered cell output. */
export const markdown = (text: string): Displayable => displayable({ 'text/markdown': text, 'text/plain': text });
