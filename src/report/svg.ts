/**
 * Headless SVG rendering of a Vega-Lite spec, for docs, `pdsim report --svg` and tests that the specs
 * compile and draw. renderer 'none' needs no canvas package; text widths are estimated, which is
 * good enough for static charts (see ../shared/reference/vllm-and-node.md section 2.1).
 * vega is imported on first use: it takes a noticeable part of a second to load, and most commands
 * never draw.
 */
import type { TopLevelSpec } from 'vega-lite';
import { importExternal } from '../io/import-external.js';

export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const vega = await importExternal<typeof import('vega')>('vega');
  const { compile } = await importExternal<typeof import('vega-lite')>('vega-lite');
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize(); // releases timers and listeners so a CLI run can exit
  }
}

/**
 * PNG of a rendered SVG at 2x (for slides and chats that do not show SVG), by resvg: a prebuilt
 * native package from npm, no canvas or browser. Text uses the system fonts (DejaVu Sans when present).
 */
export async function renderPng(svg: string): Promise<Buffer> {
  const { Resvg } = await importExternal<typeof import('@resvg/resvg-js')>('@resvg/resvg-js');
  const r = new Resvg(svg, { fitTo: { mode: 'zoom', value: 2 }, background: 'white', font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' } });
  return r.render().asPng();
}
