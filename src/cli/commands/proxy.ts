/**
 * `pdsim proxy --prefill URL[,URL...] --decode URL[,URL...]`: vLLM's P/D two-leg proxy, with the
 * simulator's routing policies. See adapters/proxy/proxy.ts and docs/live.md.
 */
import type { Command } from 'commander';
import { UserError, didYouMean } from '../../errors.js';
import { routingPolicyNames, type RoutingPolicyName } from '../../serving/routing/index.js';
import { startProxy } from '../../../adapters/proxy/proxy.js';
import type { Listening } from '../../../adapters/http/listen.js';
import { hostFlag, numFlag, portFlag, seedFlag } from '../flags.js';
import { cliMessages } from '../../messages/cli.js';

export interface ProxyCliOptions {
  prefill: string;
  decode: string;
  host: string;
  port: string;
  policy: string;
  seed: string;
  timeoutS: string;
  quiet?: boolean;
}

function urls(flag: string, v: string): string[] {
  const list = v.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (list.length === 0) throw new UserError(cliMessages.needsAUrl(flag));
  for (const u of list) {
    let ok = false;
    try {
      ok = ['http:', 'https:'].includes(new URL(u).protocol);
    } catch {
      ok = false;
    }
    if (!ok) throw new UserError(cliMessages.notAnHttpUrl(flag, u));
  }
  return list;
}

export async function proxyCommand(o: ProxyCliOptions): Promise<Listening> {
  if (!routingPolicyNames.includes(o.policy as RoutingPolicyName)) {
    const hint = didYouMean(o.policy, routingPolicyNames);
    throw new UserError(cliMessages.unknownPolicy(o.policy, routingPolicyNames.join(', '), hint ? ` (did you mean "${hint}"?)` : ''));
  }
  const port = portFlag('--port', o.port);
  const host = hostFlag('--host', o.host);
  const seed = seedFlag('--seed', o.seed);
  const timeoutMs = numFlag('--timeout-s', o.timeoutS, 0, 86_400, true, 'seconds') * 1000;
  const prefill = urls('--prefill', o.prefill);
  const decode = urls('--decode', o.decode);
  let l: Listening;
  try {
    l = await startProxy({
      prefill, decode, host, port, policy: o.policy as RoutingPolicyName, seed, timeoutMs,
      log: o.quiet ? undefined : (line) => process.stderr.write(`${line}\n`),
    });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') throw new UserError(cliMessages.portInUse(port, o.host));
    if (code === 'EACCES' || code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND' || code === 'EAI_AGAIN') throw new UserError(cliMessages.cannotListen(o.host, port, code));
    throw e;
  }
  process.stdout.write(`pdsim proxy: ${prefill.length} prefill, ${decode.length} decode, policy ${o.policy}, on ${l.url}\n`);
  return l;
}

export function register(program: Command): void {
  program
    .command('proxy')
    .description("P/D proxy speaking vLLM's two-leg protocol (prefill with kv_transfer_params, then streamed decode)")
    .requiredOption('--prefill <urls>', 'prefill servers, comma-separated base URLs')
    .requiredOption('--decode <urls>', 'decode servers, comma-separated base URLs')
    .option('--host <addr>', 'address to bind (loopback unless told otherwise)', '127.0.0.1')
    .option('--port <n>', 'port (0 = any free port)', '8000')
    .option('--policy <name>', `routing policy: ${routingPolicyNames.join(', ')}`, 'round-robin')
    .option('--seed <n>', 'seed of randomized policies', '0')
    .option('--timeout-s <s>', 'per-leg timeout, seconds', '600')
    .option('--quiet', 'no request log on stderr')
    .action(async (o: ProxyCliOptions) => {
      const l = await proxyCommand(o);
      await new Promise<void>((resolve) => {
        process.once('SIGINT', () => resolve());
        process.once('SIGTERM', () => resolve());
      });
      await l.close();
    });
}
