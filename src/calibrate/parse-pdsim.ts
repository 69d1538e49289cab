/**
 * pdsim's own profiler format (written by adapters/profiler/profile_gpu.py), one op per row:
 *
 *   op,dtype,m,n,k,batch_size,seq_len,kv_len,num_heads,num_kv_heads,head_dim,bytes,pinned,num_gpus,latency_ms
 *
 * `op` is gemm | attn_prefill | attn_decode | copy_h2d | copy_d2h | copy_bidir | copy_d2d | all_reduce.
 * Cells that do not apply to an op are empty. kv_len counts the decoded token. latency_ms is the
 * median of the timed repetitions of one op (for copy_bidir: both directions running together).
 *
 * Whole engine iterations (adapters/llamacpp/profile.ts, a real engine that cannot be timed per
 * kernel): `iter_prefill` (batch_size 1, seq_len prompt tokens) and `iter_decode` (batch_size
 * sequences, kv_len per sequence), with the model in the extra columns model, num_layers,
 * hidden_size, intermediate_size, vocab_size (plus num_heads, num_kv_heads, head_dim).
 */
import { UserError } from '../errors.js';
import { Columns, type CsvTable } from './csv.js';
import { emptySampleSet, type CopyKind, type EngineIterationSample, type SampleSet } from './samples.js';
import { calibrateMessages } from '../messages/calibrate.js';

export const PDSIM_PROFILE_COLUMNS = [
  'op', 'dtype', 'm', 'n', 'k', 'batch_size', 'seq_len', 'kv_len', 'num_heads', 'num_kv_heads', 'head_dim', 'bytes', 'pinned', 'num_gpus', 'latency_ms',
] as const;

/** Extra columns of whole-iteration rows: the model's geometry. */
export const PDSIM_ITERATION_COLUMNS = ['model', 'num_layers', 'hidden_size', 'intermediate_size', 'vocab_size'] as const;

function iterationSample(c: Columns, r: CsvTable['rows'][number], t: CsvTable, op: string, ms: number): EngineIterationSample {
  c.require(PDSIM_ITERATION_COLUMNS, 'pdsim profile with iter_* rows');
  const pos = { positive: true, integer: true } as const;
  const heads = c.num(r, 'num_heads', pos);
  const hidden = c.num(r, 'hidden_size', pos);
  if (c.num(r, 'head_dim', pos) * heads !== hidden) throw new UserError(calibrateMessages.headDimTimesHeadsNotHidden(), t.file, `line ${r.line}`);
  const model = {
    name: c.str(r, 'model'),
    layers: c.num(r, 'num_layers', pos),
    hidden,
    heads,
    kvHeads: c.num(r, 'num_kv_heads', pos),
    intermediate: c.num(r, 'intermediate_size', pos),
    vocab: c.num(r, 'vocab_size', pos),
    gatedMlp: true,
  };
  const batch = c.num(r, 'batch_size', pos);
  if (op === 'iter_prefill') {
    const n = c.num(r, 'seq_len', pos);
    return { model, phase: 'prefill', batch, newTokens: n, kvLen: n, ms };
  }
  return { model, phase: 'decode', batch, newTokens: 1, kvLen: c.num(r, 'kv_len', pos), ms };
}

const COPY_KINDS: Record<string, CopyKind> = { copy_h2d: 'h2d', copy_d2h: 'd2h', copy_bidir: 'bidir', copy_d2d: 'd2d' };

export function parsePdsimProfile(t: CsvTable): SampleSet {
  const c = new Columns(t);
  c.require(PDSIM_PROFILE_COLUMNS, 'pdsim profile');
  const out = emptySampleSet();
  const pos = { positive: true, integer: true } as const;
  for (const r of t.rows) {
    const op = c.str(r, 'op');
    const ms = c.num(r, 'latency_ms', { positive: true });
    const dtype = c.str(r, 'dtype');
    // The perf model is for 16-bit weights and KV; other dtypes are profiled for reference only.
    const sixteenBit = dtype === '' || dtype === 'float16' || dtype === 'bfloat16';
    if (op === 'gemm') {
      if (sixteenBit) out.gemm.push({ m: c.num(r, 'm', pos), n: c.num(r, 'n', pos), k: c.num(r, 'k', pos), ms });
    } else if (op === 'attn_prefill') {
      if (sixteenBit) {
        out.prefill.push({
          batch: c.num(r, 'batch_size', pos),
          seqLen: c.num(r, 'seq_len', pos),
          qHeads: c.num(r, 'num_heads', pos),
          kvHeads: c.num(r, 'num_kv_heads', pos),
          headDim: c.num(r, 'head_dim', pos),
          ms,
        });
      }
    } else if (op === 'attn_decode') {
      if (sixteenBit) {
        out.decode.push({
          batch: c.num(r, 'batch_size', pos),
          kvLen: c.num(r, 'kv_len', pos),
          qHeads: c.num(r, 'num_heads', pos),
          kvHeads: c.num(r, 'num_kv_heads', pos),
          headDim: c.num(r, 'head_dim', pos),
          ms,
        });
      }
    } else if (op in COPY_KINDS) {
      const kind = COPY_KINDS[op]!;
      // Pinned or pageable only means something for copies that touch host memory.
      const pinned = kind === 'd2d' && c.str(r, 'pinned') === '' ? false : c.bool(r, 'pinned');
      out.copies.push({ kind, pinned, bytes: c.num(r, 'bytes', { positive: true }), ms });
    } else if (op === 'iter_prefill' || op === 'iter_decode') {
      out.iterations.push(iterationSample(c, r, t, op, ms));
    } else if (op === 'all_reduce') {
      out.allReduce.push({ gpus: c.num(r, 'num_gpus', pos), bytes: c.num(r, 'bytes', { positive: true }), ms });
    } else {
      throw new UserError(calibrateMessages.unknownOp(JSON.stringify(op)), t.file, `line ${r.line}, column ${t.header.indexOf('op') + 1} (op)`);
    }
  }
  return out;
}
