#!/usr/bin/env python3
"""Measure the operators pdsim's perf model is built from, on this machine's GPU(s), and write them in
pdsim's profile CSV format (read by `pdsim calibrate --gpu <id> <this file>`).

Measured, each as the median of --iters CUDA-event-timed repetitions after --warmup:
  gemm          x @ W^T for every linear layer shape of the model (QKV, O, gate+up, down, LM head)
                at each TP degree, over a sweep of token counts m
  attn_prefill  torch.nn.functional.scaled_dot_product_attention, causal, batch x seq_len
  attn_decode   the same with one query token per sequence against kv_len cached tokens
  copy_h2d / copy_d2h   host<->device copies, pinned and pageable host memory
  copy_bidir    H2D and D2H at the same time on two streams (pinned); latency_ms = both done
  copy_d2d      device-to-device copy on one GPU
  all_reduce    torch.distributed all_reduce over NCCL when started with torchrun on >1 GPU

CSV columns (empty where they do not apply):
  op,dtype,m,n,k,batch_size,seq_len,kv_len,num_heads,num_kv_heads,head_dim,bytes,pinned,num_gpus,latency_ms

Usage: see README.md next to this file.
"""
import argparse
import csv
import json
import os
import statistics
import sys

import torch
import torch.nn.functional as F

COLUMNS = ["op", "dtype", "m", "n", "k", "batch_size", "seq_len", "kv_len", "num_heads", "num_kv_heads",
           "head_dim", "bytes", "pinned", "num_gpus", "latency_ms"]


def load_model(path):
    """A pdsim models/llm/<id>.json or a Hugging Face config.json."""
    with open(path) as f:
        c = json.load(f)
    if "numLayers" in c:  # pdsim's own architecture file
        return dict(hidden=c["hiddenSize"], heads=c["numHeads"], kv_heads=c["numKvHeads"], head_dim=c["headDim"],
                    inter=c["intermediateSize"], vocab=c["vocabSize"], gated=c.get("gatedMlp", True))
    heads = c["num_attention_heads"]
    return dict(hidden=c["hidden_size"], heads=heads, kv_heads=c.get("num_key_value_heads", heads),
                head_dim=c.get("head_dim") or c["hidden_size"] // heads, inter=c["intermediate_size"],
                vocab=c["vocab_size"], gated=True)


def time_ms(fn, warmup, iters, stream=None):
    """Median over `iters` of CUDA-event time of fn(); events on `stream` (default: current)."""
    for _ in range(warmup):
        fn()
    torch.cuda.synchronize()
    times = []
    for _ in range(iters):
        start = torch.cuda.Event(enable_timing=True)
        end = torch.cuda.Event(enable_timing=True)
        start.record(stream)
        fn()
        end.record(stream)
        end.synchronize()
        times.append(start.elapsed_time(end))
    return statistics.median(times)


def wall_ms(fn, warmup, iters):
    """Median wall time with a device sync on both ends: for pageable copies, which are synchronous."""
    import time
    for _ in range(warmup):
        fn()
    torch.cuda.synchronize()
    times = []
    for _ in range(iters):
        torch.cuda.synchronize()
        t0 = time.perf_counter()
        fn()
        torch.cuda.synchronize()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def row(**kw):
    return {c: kw.get(c, "") for c in COLUMNS}


def profile_gemm(model, tps, tokens, dtype, dname, a):
    h, hd = model["hidden"], model["head_dim"]
    shapes = set()
    for tp in tps:
        q = model["heads"] * hd // tp
        kv = max(1, model["kv_heads"] // tp) * hd
        inter = model["inter"] // tp
        shapes |= {(q + 2 * kv, h), (h, q), ((2 if model["gated"] else 1) * inter, h), (h, inter), (model["vocab"] // tp, h)}
    out = []
    for n, k in sorted(shapes):
        w = torch.randn(n, k, device="cuda", dtype=dtype)
        for m in tokens:
            x = torch.randn(m, k, device="cuda", dtype=dtype)
            ms = time_ms(lambda: F.linear(x, w), a.warmup, a.iters)
            out.append(row(op="gemm", dtype=dname, m=m, n=n, k=k, latency_ms=f"{ms:.6f}"))
        del w
    return out


def sdpa(q, k, v, causal):
    # enable_gqa (torch >= 2.5) lets K/V keep fewer heads, as vLLM's kernels do.
    if k.shape[1] != q.shape[1]:
        try:
            return F.scaled_dot_product_attention(q, k, v, is_causal=causal, enable_gqa=True)
        except TypeError:
            rep = q.shape[1] // k.shape[1]
            k, v = k.repeat_interleave(rep, 1), v.repeat_interleave(rep, 1)
    return F.scaled_dot_product_attention(q, k, v, is_causal=causal)


def profile_attention(model, tps, dtype, dname, a):
    hd = model["head_dim"]
    out = []
    for tp in tps:
        hq, hkv = model["heads"] // tp, max(1, model["kv_heads"] // tp)
        for b in a.prefill_batches:
            for s in a.seq_lens:
                if b * s > a.max_prefill_tokens:
                    continue
                q = torch.randn(b, hq, s, hd, device="cuda", dtype=dtype)
                k = torch.randn(b, hkv, s, hd, device="cuda", dtype=dtype)
                v = torch.randn_like(k)
                ms = time_ms(lambda: sdpa(q, k, v, True), a.warmup, a.iters)
                out.append(row(op="attn_prefill", dtype=dname, batch_size=b, seq_len=s, num_heads=hq, num_kv_heads=hkv, head_dim=hd, latency_ms=f"{ms:.6f}"))
        for b in a.decode_batches:
            for L in a.kv_lens:
                if b * L > a.max_decode_kv_tokens:
                    continue
                q = torch.randn(b, hq, 1, hd, device="cuda", dtype=dtype)
                k = torch.randn(b, hkv, L, hd, device="cuda", dtype=dtype)
                v = torch.randn_like(k)
                ms = time_ms(lambda: sdpa(q, k, v, False), a.warmup, a.iters)
                out.append(row(op="attn_decode", dtype=dname, batch_size=b, kv_len=L, num_heads=hq, num_kv_heads=hkv, head_dim=hd, latency_ms=f"{ms:.6f}"))
    return out


def profile_copies(a):
    out = []
    for nbytes in a.copy_bytes:
        dev = torch.empty(nbytes, dtype=torch.uint8, device="cuda")
        for pinned in (True, False):
            host = torch.empty(nbytes, dtype=torch.uint8, pin_memory=pinned)
            timer = time_ms if pinned else wall_ms  # pageable copies are staged and synchronous
            ms = timer(lambda: dev.copy_(host, non_blocking=pinned), a.warmup, a.iters)
            out.append(row(op="copy_h2d", bytes=nbytes, pinned=str(pinned).lower(), latency_ms=f"{ms:.6f}"))
            ms = timer(lambda: host.copy_(dev, non_blocking=pinned), a.warmup, a.iters)
            out.append(row(op="copy_d2h", bytes=nbytes, pinned=str(pinned).lower(), latency_ms=f"{ms:.6f}"))
        # Both directions at once, on two streams, pinned buffers: wall time until both are done.
        h_in = torch.empty(nbytes, dtype=torch.uint8, pin_memory=True)
        h_out = torch.empty(nbytes, dtype=torch.uint8, pin_memory=True)
        dev2 = torch.empty_like(dev)
        s1, s2 = torch.cuda.Stream(), torch.cuda.Stream()

        def both():
            with torch.cuda.stream(s1):
                dev.copy_(h_in, non_blocking=True)
            with torch.cuda.stream(s2):
                h_out.copy_(dev2, non_blocking=True)
            s1.synchronize()
            s2.synchronize()
        ms = wall_ms(both, a.warmup, a.iters)
        out.append(row(op="copy_bidir", bytes=nbytes, pinned="true", latency_ms=f"{ms:.6f}"))
        ms = time_ms(lambda: dev2.copy_(dev), a.warmup, a.iters)
        out.append(row(op="copy_d2d", bytes=nbytes, latency_ms=f"{ms:.6f}"))
        del dev, dev2
    return out


def profile_all_reduce(dtype, dname, a):
    import torch.distributed as dist
    world = dist.get_world_size()
    out = []
    for nbytes in a.allreduce_bytes:
        t = torch.randn(nbytes // 2, device="cuda", dtype=dtype)
        ms = time_ms(lambda: dist.all_reduce(t), a.warmup, a.iters)
        # Every rank measured; report the slowest rank's median (the collective ends when all do).
        v = torch.tensor([ms], device="cuda")
        dist.all_reduce(v, op=dist.ReduceOp.MAX)
        out.append(row(op="all_reduce", dtype=dname, bytes=nbytes, num_gpus=world, latency_ms=f"{v.item():.6f}"))
    return out


def ints(s):
    return [int(x) for x in s.split(",") if x]


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", required=True, help="pdsim models/llm/<id>.json or a Hugging Face config.json")
    p.add_argument("--out", required=True, help="CSV file to write")
    p.add_argument("--tp", type=ints, default=[1, 2, 4, 8], help="TP degrees whose per-GPU shapes to measure (default 1,2,4,8)")
    p.add_argument("--dtype", choices=["bfloat16", "float16"], default="bfloat16")
    p.add_argument("--tokens", type=ints, default=[1, 2, 4, 8, 16, 32, 64, 96, 128, 192, 256, 384, 512, 768, 1024, 1536, 2048, 3072, 4096, 8192, 16384])
    p.add_argument("--seq-lens", type=ints, default=[64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384])
    p.add_argument("--prefill-batches", type=ints, default=[1, 2, 4, 8])
    p.add_argument("--max-prefill-tokens", type=int, default=32768)
    p.add_argument("--kv-lens", type=ints, default=[16, 64, 256, 1024, 2048, 4096, 8192, 16384, 32768])
    p.add_argument("--decode-batches", type=ints, default=[1, 4, 8, 16, 32, 64, 128, 256])
    p.add_argument("--max-decode-kv-tokens", type=int, default=1 << 21)
    p.add_argument("--copy-bytes", type=ints, default=[1 << 16, 1 << 20, 1 << 22, 1 << 24, 1 << 26, 1 << 28])
    p.add_argument("--allreduce-bytes", type=ints, default=[1 << 12, 1 << 14, 1 << 16, 1 << 18, 1 << 20, 1 << 22, 1 << 24, 1 << 26])
    p.add_argument("--skip", default="", help="comma list of groups to skip: gemm,attention,copies,allreduce")
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--iters", type=int, default=20)
    a = p.parse_args()
    if not torch.cuda.is_available():
        sys.exit("profile_gpu.py: no CUDA device visible")
    skip = set(a.skip.split(","))
    dtype = getattr(torch, a.dtype)
    distributed = int(os.environ.get("WORLD_SIZE", "1")) > 1
    rank = 0
    if distributed:
        import torch.distributed as dist
        dist.init_process_group("nccl")
        rank = dist.get_rank()
        torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", rank)))
    model = load_model(a.model)
    rows = []
    if rank == 0:
        # Single-GPU groups run on rank 0 only, so concurrent ranks do not disturb the timings.
        if "gemm" not in skip:
            rows += profile_gemm(model, a.tp, a.tokens, dtype, a.dtype, a)
        if "attention" not in skip:
            rows += profile_attention(model, a.tp, dtype, a.dtype, a)
        if "copies" not in skip:
            rows += profile_copies(a)
    if distributed:
        dist.barrier()
        if "allreduce" not in skip:
            rows += profile_all_reduce(dtype, a.dtype, a)
        if rank != 0:
            rows = []
    if rank == 0:
        with open(a.out, "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=COLUMNS)
            w.writeheader()
            w.writerows(rows)
        print(f"wrote {len(rows)} rows to {a.out} ({torch.cuda.get_device_name()})")
    if distributed:
        dist.destroy_process_group()


if __name__ == "__main__":
    main()
