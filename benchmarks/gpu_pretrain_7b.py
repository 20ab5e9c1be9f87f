"""Tokens/s and MFU of one training step of a 7B-shaped Llama on one GPU (run where a GPU is).

The model has DeepSeek-Coder-7B-Base-v1.5's shape (30 layers, hidden 4096, 32 heads, MLP 11008, vocab
102400), random init from config (no download), bf16 parameters and AdamW states (fits one 80-141 GB
GPU without sharding: ~14 GB weights + 14 GB grads + 28 GB optimizer state), SDPA attention, activation
checkpointing, 4K context, the fused chunked loss; the same `train_step` as `mathmine train pretrain`.
A few warmup steps are not timed. MFU = tokens/s · (6N + 12·L·H·T) / peak (PaLM; see training.metrics).

    python benchmarks/gpu_pretrain_7b.py [--steps 6 --warmup 2 --micro-batch 2 --layers 30 --compile]

Without CUDA it prints a message and exits 0 (CI and CPU machines).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--layers", type=int, default=30, help="decoder layers (30 = 7B; fewer for a smoke run)")
    p.add_argument("--context", type=int, default=4096)
    p.add_argument("--micro-batch", type=int, default=2)
    p.add_argument("--accum", type=int, default=1)
    p.add_argument("--steps", type=int, default=6, help="timed steps")
    p.add_argument("--warmup", type=int, default=2, help="untimed steps first")
    p.add_argument("--loss", choices=["fused", "hf"], default="fused")
    p.add_argument("--no-checkpointing", action="store_true")
    p.add_argument("--compile", action="store_true")
    p.add_argument("--peak-flops", type=float, default=None, help="override the datasheet peak (FLOP/s)")
    p.add_argument(
        "--out", default=None, help="result JSON (default benchmarks/results/gpu_pretrain_7b.json)"
    )
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    import torch

    if not torch.cuda.is_available():
        print("gpu_pretrain_7b: no CUDA device here; nothing measured (run it on a GPU node).")
        return 0
    from transformers import LlamaConfig, LlamaForCausalLM

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from training.fused_loss import CausalLMLoss
    from training.loop import make_accelerator, train_step
    from training.metrics import model_flops_per_token, peak_flops_per_device
    from training.optim import OptimConfig, build_optimizer, build_scheduler

    cfg = LlamaConfig(
        vocab_size=102400,
        hidden_size=4096,
        intermediate_size=11008,
        num_hidden_layers=args.layers,
        num_attention_heads=32,
        num_key_value_heads=32,
        max_position_embeddings=args.context,
        rms_norm_eps=1e-6,
        rope_theta=100000.0,
        tie_word_embeddings=False,
    )
    torch.manual_seed(0)
    t0 = time.perf_counter()
    with torch.device("cuda"):
        model = LlamaForCausalLM._from_config(cfg, attn_implementation="sdpa", dtype=torch.bfloat16)
    init_s = time.perf_counter() - t0
    if not args.no_checkpointing:
        model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
    if args.compile:
        model.model.compile()
    n_params = sum(p.numel() for p in model.parameters())
    fpt = model_flops_per_token(model, args.context)
    acc = make_accelerator("bf16")
    wrapped = CausalLMLoss(model, args.loss)
    ocfg = OptimConfig(lr=1e-5, schedule="constant", warmup_steps=0)
    opt = build_optimizer(wrapped, ocfg)
    sched = build_scheduler(opt, ocfg, args.steps + args.warmup)
    wrapped, opt, sched = acc.prepare(wrapped, opt, sched)
    gen = torch.Generator().manual_seed(0)

    def batch():
        return [
            torch.randint(0, cfg.vocab_size, (args.micro_batch, args.context), generator=gen)
            for _ in range(args.accum)
        ]

    for _ in range(args.warmup):
        train_step(acc, wrapped, opt, sched, batch())
    torch.cuda.synchronize()
    torch.cuda.reset_peak_memory_stats()
    losses = []
    t0 = time.perf_counter()
    for _ in range(args.steps):
        losses.append(train_step(acc, wrapped, opt, sched, batch())["loss"])
    torch.cuda.synchronize()
    dt = time.perf_counter() - t0
    tokens = args.steps * args.accum * args.micro_batch * args.context
    tps = tokens / dt
    peak = peak_flops_per_device(args.peak_flops)
    result = {
        "device": torch.cuda.get_device_name(),
        "params": n_params,
        "layers": args.layers,
        "context": args.context,
        "micro_batch": args.micro_batch,
        "accum": args.accum,
        "loss_mode": args.loss,
        "activation_checkpointing": not args.no_checkpointing,
        "compile": args.compile,
        "init_s": round(init_s, 1),
        "timed_steps": args.steps,
        "seconds": round(dt, 3),
        "tokens_per_s": round(tps, 1),
        "flops_per_token": fpt,
        "peak_flops": peak,
        "mfu": round(tps * fpt / peak, 4) if peak else None,
        "max_memory_gb": round(torch.cuda.max_memory_allocated() / 2**30, 1),
        "losses": losses,
        "torch": torch.__version__,
    }
    print(json.dumps(result, indent=1))
    out = Path(args.out or Path(__file__).resolve().parent / "results" / "gpu_pretrain_7b.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1))
    if os.environ.get("OUT"):
        Path(os.environ["OUT"], "gpu_pretrain_7b.json").write_text(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
