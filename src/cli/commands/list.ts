/**
 * `pdsim list <kind>`: what the catalog holds (models/), one line per id with the figures a user
 * picks a profile by, so nobody has to open the JSON files to choose a GPU or a model.
 */
import type { Command } from 'commander';
import { didYouMean, UserError } from '../../errors.js';
import { deriveSizes } from '../../model/architecture.js';
import { openCatalog, type Catalog, type CatalogKind } from '../../model/catalog.js';
import { cliMessages } from '../../messages/cli.js';

/** CLI words (plural, as users type them) -> catalog kinds. */
const KINDS: Readonly<Record<string, CatalogKind>> = { models: 'llm', gpus: 'gpu', links: 'link', hosts: 'host', disks: 'disk' };

type Row = (string | number)[];

interface Listing {
  header: string[];
  row(c: Catalog, id: string): Row;
}

const fixed = (x: number, digits: number) => x.toFixed(digits);

const LISTINGS: Record<CatalogKind, Listing> = {
  llm: {
    header: ['id', 'params B', 'KV B/token', 'layers', 'hidden', 'heads/kv', 'dtype', 'hf id'],
    row(c, id) {
      const a = c.loadLlm(id);
      const s = deriveSizes(a);
      return [id, fixed(s.totalParams / 1e9, 3), s.kvBytesPerToken, a.numLayers, a.hiddenSize, `${a.numHeads}/${a.numKvHeads}`, a.dtype, a.hfId];
    },
  },
  gpu: {
    header: ['id', 'name', 'mem GiB', 'HBM GB/s', 'FP16 TFLOPS', 'calibrated', 'expected error'],
    row(c, id) {
      const g = c.loadGpu(id);
      // Only the band ("±25%"), the reason is in the file.
      const band = g.expectedError?.split(' (')[0] ?? '';
      return [id, g.name, fixed(g.memGiB, 1), g.hbmBandwidthGBps, g.fp16Tflops, g.calibrated ? 'yes' : 'no', band];
    },
  },
  link: {
    header: ['id', 'kind', 'theory GB/s/dir', 'effective GB/s/dir', 'both dirs GB/s/dir', 'pageable GB/s', 'latency us'],
    row(c, id) {
      const l = c.loadLink(id);
      return [id, l.kind, l.theoreticalGBpsPerDirection, l.pinnedGBpsPerDirection, l.bidirectionalGBpsPerDirection, l.pageableGBps ?? '-', l.latencyUs];
    },
  },
  host: {
    header: ['id', 'name', 'GB/s', 'theory GB/s', 'default GiB'],
    row(c, id) {
      const h = c.loadHost(id);
      return [id, h.name, h.bandwidthGBps, h.theoreticalGBps, h.capacityGiB];
    },
  },
  disk: {
    header: ['id', 'name', 'read GB/s', 'write GB/s', 'latency us'],
    row(c, id) {
      const d = c.loadDisk(id);
      return [id, d.name, d.readGBps, d.writeGBps, d.latencyUs];
    },
  },
};

/** Aligned text table: numbers right-aligned, text left-aligned. */
function table(header: string[], rows: Row[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const numeric = header.map((_, i) => rows.length > 0 && rows.every((r) => typeof r[i] === 'number' || /^-?[\d.]+$|^-$/.test(String(r[i]))));
  const line = (cells: Row) =>
    cells.map((v, i) => (numeric[i] ? String(v).padStart(widths[i]!) : String(v).padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}

/** The text `pdsim list <kind>` prints. */
export function listText(kind: string, modelsDir?: string): string {
  const k = KINDS[kind];
  if (k === undefined) {
    const guess = didYouMean(kind, Object.keys(KINDS));
    throw new UserError(cliMessages.unknownListKind(kind, guess ? ` (did you mean "${guess}"?)` : '', Object.keys(KINDS).join(', ')));
  }
  const c = openCatalog(modelsDir);
  const l = LISTINGS[k];
  return table(l.header, c.listIds(k).map((id) => l.row(c, id)));
}

export function register(program: Command): void {
  program
    .command('list')
    .description('List the models and hardware profiles in the catalog (models/).')
    .argument('<kind>', `what to list: ${Object.keys(KINDS).join(' | ')}`)
    .option('--models-dir <dir>', 'catalog directory (default: models/ of the package)')
    .action((kind: string, opts: { modelsDir?: string }) => {
      process.stdout.write(listText(kind, opts.modelsDir));
    });
}
