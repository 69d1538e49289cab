/**
 * The command registry: one line per command module. Each module exports `register(program)`,
 * which adds its subcommand to the commander program. Adding a command = one file + one line here.
 */
import type { Command } from 'commander';
import * as simulate from './simulate.js';
import * as list from './list.js';
import * as report from './report.js';
import * as sweep from './sweep.js';
import * as latency from './latency.js';
import * as perf from './perf.js';
import * as calibrate from './calibrate.js';
import * as compare from './compare.js';
import * as vllmArgs from './vllm-args.js';
import * as validate from './validate.js';
import * as proxy from './proxy.js';
import * as serve from './serve.js';
import * as plan from './plan.js';
import * as merge from './merge.js';
import * as llamacppServe from '../../../adapters/llamacpp/cli.js';

export const commands: ReadonlyArray<{ register(program: Command): void }> = [
  simulate,
  list,
  report,
  sweep,
  latency,
  perf,
  calibrate,
  compare,
  vllmArgs,
  validate,
  proxy,
  serve,
  plan,
  merge,
  llamacppServe,
];
