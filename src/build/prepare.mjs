// `prepare` lifecycle script (npm ci, npm install, npm pack, and installs from git): builds the
// bundle dist/ with src/build/bundle.ts. Plain JavaScript so that it runs before any dependency is
// known to be there: a global install from a git URL runs `prepare` without installing the
// package's own dependencies (npm/cli#8440, open in npm 11), so when the bundler is missing it
// installs them here first (npm ci: from the lockfile, into a clean node_modules), with the global-install settings npm passed down removed.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const run = (cmd, args, env = process.env) => {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env, shell: process.platform === 'win32' });
  if (r.status !== 0) process.exit(r.status ?? 1);
};

if (!existsSync(new URL('../../node_modules/esbuild/package.json', import.meta.url)) || !existsSync(new URL('../../node_modules/tsx/package.json', import.meta.url))) {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_config_(global|prefix|location|allow[-_]scripts)$/i.test(k)));
  run('npm', ['ci', '--include=dev', '--no-audit', '--no-fund', '--ignore-scripts'], env);
}
run(process.execPath, ['--import', 'tsx', 'src/build/bundle.ts']);
