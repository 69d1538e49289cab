/**
 * Checks a schema-valid scenario cannot express: every catalog id exists (used or not: an unused
 * NIC id is still a typo), and a tensor-parallel instance fits on one node. All problems at once.
 */
import { UserError } from '../errors.js';
import { openCatalog, unknownId, type CatalogKind } from '../model/catalog.js';
import type { Scenario } from './schema.js';
import type { Problem } from './schema-errors.js';
import { messages } from '../messages.js';

export function semanticProblems(sc: Scenario, modelsDir?: string): Problem[] {
  const cat = openCatalog(modelsDir);
  const out: Problem[] = [];
  const id = (kind: CatalogKind, value: string | undefined, pointer: string): void => {
    if (value === undefined) return;
    const ids = cat.listIds(kind);
    if (!ids.includes(value)) out.push({ pointer, message: unknownId(kind, value, ids).message });
  };
  id('llm', sc.model, '/model');
  const topo = sc.deployment.topology;
  sc.deployment.pools.forEach((p, i) => {
    id('gpu', p.gpu, `/deployment/pools/${i}/gpu`);
    const perNode = topo?.gpusPerNode ?? 8;
    if (p.tp > perNode) out.push({ pointer: `/deployment/pools/${i}/tp`, message: messages.tpOverNode(p.tp, perNode) });
  });
  id('link', topo?.nic, '/deployment/topology/nic');
  id('link', topo?.hostLink, '/deployment/topology/hostLink');
  id('host', topo?.hostMemory, '/deployment/topology/hostMemory');
  id('disk', topo?.disk, '/deployment/topology/disk');
  return out;
}

export function assertNoProblems(problems: readonly Problem[], file: string, format: (p: readonly Problem[]) => { message: string; where?: string }): void {
  if (problems.length === 0) return;
  const { message, where } = format(problems);
  throw new UserError(message, file, where);
}
