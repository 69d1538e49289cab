// The registry's summary lines are what `pdsim --help` lists without loading the modules: they
// must say what the modules themselves register, and the lazy dispatch must pick the right one.
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { COMMANDS, commandFor, registerCommands } from './index.js';

describe('command registry', () => {
  for (const entry of COMMANDS) {
    it(`${entry.name}: the summary line matches what its module registers`, async () => {
      const program = new Command();
      (await entry.load()).register(program);
      // Every command the module registers has its own entry (a module may register several).
      for (const c of program.commands) expect(COMMANDS.map((e) => e.name)).toContain(c.name());
      const cmd = program.commands.find((c) => c.name() === entry.name)!;
      expect(cmd, entry.name).toBeDefined();
      expect(cmd.description()).toBe(entry.summary);
      const args = cmd.registeredArguments.map((a) => {
        const n = `${a.name()}${a.variadic ? '...' : ''}`;
        return a.required ? `<${n}>` : `[${n}]`;
      });
      expect(args.join(' ')).toBe(entry.args);
    });
  }

  it('dispatches on the first positional argument, `help X` as X, and nothing for help or unknown names', () => {
    expect(commandFor(['simulate', 'x.yaml', '--out', 'd'])?.name).toBe('simulate');
    expect(commandFor(['--help'])).toBeUndefined();
    expect(commandFor(['help', 'perf'])?.name).toBe('perf');
    expect(commandFor(['simulat', 'x.yaml'])).toBeUndefined();
    expect(commandFor([])).toBeUndefined();
  });

  it('registers one full command when named, else every summary', async () => {
    const one = new Command();
    await registerCommands(one, ['perf', '--model', 'm']);
    expect(one.commands.map((c) => c.name())).toEqual(['perf']);
    expect(one.commands[0]!.options.length).toBeGreaterThan(0);
    const all = new Command();
    await registerCommands(all, ['--help']);
    expect(all.commands.map((c) => c.name())).toEqual(COMMANDS.map((c) => c.name));
  });
});
