/**
 * The command registry: one entry per command module, loaded only when that command runs, so
 * `pdsim perf` never evaluates the scenario validator or the YAML parser and `pdsim --help` loads
 * no command at all (the bundle, one script, evaluates a module reached through import() only at
 * that import: src/build/bundle.ts). Each module exports
 * `register(program)`, which adds its subcommand to the commander program. The name, arguments and
 * summary here are what the top-level help lists; registry.test.ts checks they match the modules.
 * A module may register several commands (adapters/llamacpp/cli.ts: one entry each, same module).
 * Adding a command = one file + one entry here.
 */
import type { Command } from 'commander';

export interface CommandModule {
  register(program: Command): void;
}

export interface CommandEntry {
  name: string;
  /** Positional arguments as commander writes them, e.g. `<scenario>`. */
  args: string;
  summary: string;
  load(): Promise<CommandModule>;
}

export const COMMANDS: readonly CommandEntry[] = [
  { name: 'simulate', args: '<scenario>', summary: 'Simulate a scenario in virtual time and write summary.json, requests.jsonl, scenario.resolved.json and report.html', load: () => import('./simulate.js') },
  { name: 'list', args: '<kind>', summary: 'List the models and hardware profiles in the catalog (models/).', load: () => import('./list.js') },
  { name: 'report', args: '<runDir>', summary: 'Re-render <runDir>/report.html from <runDir>/report.json.', load: () => import('./report.js') },
  { name: 'sweep', args: '<scenario>', summary: 'Simulate a scenario at every point of a grid (repeat --vary), on all cores when the work is large enough to gain from them, and tabulate the key figures', load: () => import('./sweep.js') },
  { name: 'latency', args: '', summary: 'Predict what `vllm bench latency` measures: end-to-end latency of a static batch, split into prefill and decode', load: () => import('./latency.js') },
  { name: 'perf', args: '', summary: 'Predict the time of one engine iteration (per operator group, compute- or memory-bound, per layer)', load: () => import('./perf.js') },
  { name: 'calibrate', args: '[files...]', summary: 'Fit GPU perf-model efficiencies to measured operator timings (vidur, aiconfigurator, pdsim profiler CSVs)', load: () => import('./calibrate.js') },
  { name: 'compare', args: '<a> <b>', summary: 'Simulate two scenarios on the same seeded workload and print the differences; writes report.html with overlaid CDFs', load: () => import('./compare.js') },
  { name: 'vllm-args', args: '<scenario>', summary: 'Print the `vllm serve` command lines (colocated, or P/D with NIXL) that deploy a scenario', load: () => import('./vllm-args.js') },
  { name: 'validate', args: '<scenario>', summary: 'Simulate a scenario and replay it against a live vLLM-compatible server; compare per metric', load: () => import('./validate.js') },
  { name: 'proxy', args: '', summary: "P/D proxy speaking vLLM's two-leg protocol (prefill with kv_transfer_params, then streamed decode)", load: () => import('./proxy.js') },
  { name: 'serve', args: '<scenario>', summary: 'Serve a scenario as an OpenAI-compatible (vLLM-shaped) HTTP server timed by the simulator in real time', load: () => import('./serve.js') },
  { name: 'plan', args: '<scenario>', summary: 'Search deployments (GPU types and counts, colocated or xPyD, TP, knobs) for the highest rate meeting the SLO; Pareto frontier per GPU and per dollar', load: () => import('./plan.js') },
  { name: 'merge', args: '<out> <shards...>', summary: 'Join the output directories of `sweep --shard` or `plan --shard` runs into the result of one run', load: () => import('./merge.js') },
  { name: 'llamacpp-serve', args: '', summary: 'OpenAI-compatible server over llama.cpp on the CPU (node-llama-cpp) with a continuous-batching step loop', load: () => import('../../../adapters/llamacpp/cli.js') },
  { name: 'llamacpp-profile', args: '', summary: 'Time llama.cpp iterations on this CPU (prefill vs tokens, decode vs batch and KV length) into a CSV that pdsim calibrate fits', load: () => import('../../../adapters/llamacpp/cli.js') },
];

/** The command an argument list runs (`pdsim help X` counts as X), or undefined for none/unknown. */
export function commandFor(argv: readonly string[]): CommandEntry | undefined {
  const positional = argv.filter((a) => !a.startsWith('-'));
  const name = positional[0] === 'help' ? positional[1] : positional[0];
  return COMMANDS.find((c) => c.name === name);
}

/**
 * Adds the commands `argv` needs: the one it names, fully; otherwise (help, --version, an unknown
 * name, for its did-you-mean) every command as a summary line, without loading any module.
 */
export async function registerCommands(program: Command, argv: readonly string[]): Promise<void> {
  const wanted = commandFor(argv);
  if (wanted) {
    (await wanted.load()).register(program);
    return;
  }
  for (const c of COMMANDS) program.command(c.args ? `${c.name} ${c.args}` : c.name).description(c.summary);
}
