/**
 * The library surface of the notebooks (notebooks/*.ipynb), bundled as dist/lib.mjs: scenario
 * runs and sweeps (explore.ts), sweep charts (charts.ts), Jupyter rich output (jupyter.ts), and
 * the project's own pieces a notebook combines: report specs, `pdsim serve`, `pdsim validate`.
 */
import path from 'node:path';
import { packageRoot } from '../package-files.js';

export * from './explore.js';
export * from './charts.js';
export * from './jupyter.js';
export * from './plan.js';
export { buildCharts, readReportInput, renderSvg } from '../report/index.js';
export { loadScenario } from '../scenario/load.js';
export { startScenarioServer } from '../../adapters/server/from-scenario.js';
export { runValidate, formatComparisonTable } from '../../adapters/vllm/validate-run.js';
export { packageRoot };

/** A scenario shipped with pdsim, e.g. scenarioFile('dual-l4-disagg.yaml'). */
export const scenarioFile = (name: string): string => path.join(packageRoot(), 'scenarios', name);
