/**
 * An esbuild plugin for the CLI script: two dependencies require a Node builtin at load that they
 * use only on paths a simulate never takes, commander's child_process (executable subcommands,
 * which pdsim has none of; it pulls in net and dgram too) and seedrandom's crypto (autoseeding,
 * which pdsim never asks for: every stream is seeded). Each gets a stand-in that requires the real
 * module on first use, so every command starts without loading them (~3 ms of CPU together).
 */
import type { Plugin } from 'esbuild';

/** The builtin, the dependency whose require of it is deferred, and the functions it calls. */
export const LAZY_BUILTINS = [
  { builtin: 'child_process', importer: '/node_modules/commander/', functions: ['spawn'] },
  { builtin: 'crypto', importer: '/node_modules/seedrandom/', functions: ['randomBytes'] },
] as const;

/** The stand-in module's source: each function forwards to the real module, required on first call. */
export function standInSource(builtin: string, functions: readonly string[]): string {
  const fns = functions.map((f) => `  ${f}: (...args) => real().${f}(...args),`).join('\n');
  return `let mod;\nconst real = () => (mod ??= require('node:${builtin}'));\nmodule.exports = {\n${fns}\n};\n`;
}

export function lazyBuiltins(): Plugin {
  return {
    name: 'pdsim-lazy-builtins',
    setup(b) {
      b.onResolve({ filter: /^(node:)?(child_process|crypto)$/ }, (args) => {
        const name = args.path.replace(/^node:/, '');
        const lazy = LAZY_BUILTINS.find((l) => l.builtin === name && args.importer.replace(/\\/g, '/').includes(l.importer));
        return lazy ? { path: lazy.builtin, namespace: 'pdsim-lazy-builtin' } : undefined;
      });
      b.onLoad({ filter: /.*/, namespace: 'pdsim-lazy-builtin' }, (args) => {
        const lazy = LAZY_BUILTINS.find((l) => l.builtin === args.path)!;
        return { contents: standInSource(lazy.builtin, lazy.functions), loader: 'js' };
      });
    },
  };
}
