/** Public API of the report module: build specs, render HTML/SVG, write and re-read report files. */
export type * from './types.js';
export { cdfFromSorted, cdfFromQuantiles } from '../metrics/cdf.js';
export { buildCharts, type ChartSpec, type ChartOptions } from './specs.js';
export { renderReportHtml, escapeHtml } from './html.js';
export { renderSvg } from './svg.js';
export { writeReport, readReportInput, REPORT_HTML, REPORT_JSON } from './write.js';
