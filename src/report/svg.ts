/**
 * Headless SVG rendering of a Vega-Lite spec, for docs, `pdsim report --svg` and tests that the specs
 * compile and draw. renderer 'none' needs no canvas package; text widths are estimated, which is
 * good enough for static charts (see ../shared/reference/vllm-and-node.md section 2.1).
 * vega is imported on first use: it takes a noticeable part of a second to load, and most commands
 * never draw.
 */
import type { TopLevelSpec } from 'vega-lite';

export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const vega = await import('vega');
  const { compile } = await import('vega-lite');
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize(); // releases timers and listeners so a CLI run can exit
  }
}
