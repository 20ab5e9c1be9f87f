"""AdamW and the learning-rate schedules of DeepSeekMath (shared by pretraining, SFT and GRPO).

Paper (DeepSeekMath §2.3, following DeepSeek LLM): AdamW with β1=0.9, β2=0.95, weight decay 0.1; the
"multi-step" schedule: linear warmup to the peak over 2,000 steps, then the peak until 80% of training,
31.6% of the peak until 90%, and 10% of the peak to the end. SFT uses a constant LR (5e-5); GRPO 1e-6.

Weight decay: applied to every parameter of rank ≥ 2 (linear weights *and* the embedding matrix, as
Megatron-LM and the DeepSeek/HAI-LLM line of trainers do), never to rank-1 parameters (RMSNorm scales,
biases). `no_decay_embeddings=True` also exempts embeddings (the nanoGPT/HF-Trainer-adjacent habit) for
those who want it; the paper does not say, so the default follows Megatron.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch


@dataclass
class OptimConfig:
    """Optimiser and schedule settings (paper defaults for the 7B continued pretraining)."""

    lr: float = 4.2e-4
    """Peak learning rate (7B: 4.2e-4; 1.3B ablations: 5.3e-4; SFT: 5e-5; GRPO: 1e-6)."""
    betas: tuple[float, float] = (0.9, 0.95)
    """AdamW (β1, β2)."""
    eps: float = 1e-8
    """AdamW epsilon."""
    weight_decay: float = 0.1
    """Decoupled weight decay on rank ≥ 2 parameters."""
    no_decay_embeddings: bool = False
    """Also exempt embedding matrices from weight decay (default: decayed, as in Megatron-LM)."""
    grad_clip: float = 1.0
    """Clip the global gradient norm to this value (≤ 0 disables clipping)."""
    schedule: str = "multistep"
    """`multistep` (paper pretraining), `constant` (SFT/GRPO: optional warmup then flat) or `cosine`."""
    warmup_steps: int = 2000
    """Linear warmup length in optimiser steps."""
    decay_at: list[float] = field(default_factory=lambda: [0.8, 0.9])
    """Fractions of training after which the multistep schedule drops the LR."""
    decay_to: list[float] = field(default_factory=lambda: [0.316, 0.1])
    """LR as a fraction of the peak after each `decay_at` point (not cumulative)."""
    min_lr_ratio: float = 0.1
    """Cosine schedule only: final LR as a fraction of the peak."""


class Schedule:
    """LR multiplier as a function of the optimiser step (0-based); a picklable callable for LambdaLR.

    Warmup is `(step + 1) / warmup_steps`, so step 0 already trains (at peak/warmup) and the last warmup
    step (`warmup_steps - 1`) reaches the peak. A decay point p applies from step `ceil(p · total)` on,
    i.e. once p of the training steps are done.
    """

    def __init__(self, cfg: OptimConfig, total_steps: int):
        if total_steps <= 0:
            raise ValueError(f"total_steps must be positive, got {total_steps}")
        if len(cfg.decay_at) != len(cfg.decay_to):
            raise ValueError("decay_at and decay_to must have the same length")
        if cfg.schedule not in SCHEDULES:
            raise ValueError(f"unknown schedule {cfg.schedule!r}; choose from {sorted(SCHEDULES)}")
        self.kind = cfg.schedule
        self.warmup = max(0, int(cfg.warmup_steps))
        self.total = int(total_steps)
        self.points = sorted(zip(cfg.decay_at, cfg.decay_to))
        self.min_lr_ratio = cfg.min_lr_ratio

    def __call__(self, step: int) -> float:
        if step < self.warmup:
            return (step + 1) / self.warmup
        return SCHEDULES[self.kind](self, step)


def _multistep(s: Schedule, step: int) -> float:
    factor = 1.0
    for at, to in s.points:
        if step >= at * s.total:
            factor = to
    return factor


def _constant(s: Schedule, step: int) -> float:
    return 1.0


def _cosine(s: Schedule, step: int) -> float:
    import math

    span = max(1, s.total - s.warmup)
    progress = min(1.0, (step - s.warmup) / span)
    return s.min_lr_ratio + (1 - s.min_lr_ratio) * 0.5 * (1 + math.cos(math.pi * progress))


SCHEDULES = {"multistep": _multistep, "constant": _constant, "cosine": _cosine}


def param_groups(model: torch.nn.Module, cfg: OptimConfig) -> list[dict]:
    """Split parameters into a decayed and a non-decayed group (see the module docstring)."""
    embedding_params = set()
    if cfg.no_decay_embeddings:
        for mod in model.modules():
            if isinstance(mod, torch.nn.Embedding):
                embedding_params.add(id(mod.weight))
    decay, no_decay, seen = [], [], set()
    for _, p in model.named_parameters():
        if not p.requires_grad or id(p) in seen:  # tied weights appear once
            continue
        seen.add(id(p))
        (no_decay if p.ndim < 2 or id(p) in embedding_params else decay).append(p)
    return [
        {"params": decay, "weight_decay": cfg.weight_decay},
        {"params": no_decay, "weight_decay": 0.0},
    ]


def build_optimizer(model: torch.nn.Module, cfg: OptimConfig) -> torch.optim.AdamW:
    """AdamW over `param_groups`, with the fused kernel when every parameter is on a GPU, or on a
    machine without CUDA when every one is on the CPU (torch >= 2.4 has a CPU kernel: 0.6 vs 2.1 ms
    a step for the 1M-parameter embedded model, whose default CPU path loops over the parameters
    in Python). The trainers build the optimiser before Accelerate moves the model, so on a GPU
    node the parameters are still on the CPU here: those runs keep PyTorch's default, as before."""
    groups = param_groups(model, cfg)
    devices = {p.device.type for g in groups for p in g["params"]}
    fused = devices == {"cuda"} or (devices == {"cpu"} and not torch.cuda.is_available())
    return torch.optim.AdamW(groups, lr=cfg.lr, betas=tuple(cfg.betas), eps=cfg.eps, fused=fused or None)


def build_scheduler(optimizer: torch.optim.Optimizer, cfg: OptimConfig, total_steps: int):
    """A LambdaLR following `Schedule`; its state (the step count) goes into checkpoints."""
    return torch.optim.lr_scheduler.LambdaLR(optimizer, Schedule(cfg, total_steps))
