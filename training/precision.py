"""Which floating-point precision the forward passes run in.

`bf16` means bfloat16 autocast: matmuls (and attention) run in bfloat16 while parameters, optimiser
state and reductions stay fp32 — how the paper's GPUs train and TRL's default. It only pays where
the hardware multiplies bfloat16 natively: CUDA devices that support it, and CPUs with AVX-512 BF16
or AMX tiles (measured here, an AVX-512 BF16 EPYC core: 480 GFLOP/s, against ~250 for fp32 on
oneDNN's kernel and ~100 on MKL's, which runs its generic path on AMD; see training/grpo/linear.py).
Elsewhere oneDNN emulates it, slower than fp32, so `auto` picks fp32 there.
"""

from __future__ import annotations

import torch

CHOICES = ("auto", "fp32", "bf16")


def native_bf16(device_type: str) -> bool:
    """True when `device_type` multiplies bfloat16 matrices in hardware."""
    if device_type == "cuda":
        # Emulated bf16 (e.g. V100, T4) is slower than fp32 there: only native support counts.
        return torch.cuda.is_available() and torch.cuda.is_bf16_supported(including_emulation=False)
    if device_type == "cpu":
        # Private probes of torch.cpu (present since torch 2.3); absent ones count as "no".
        probes = ("_is_avx512_bf16_supported", "_is_amx_tile_supported")
        return any(getattr(torch.cpu, name, lambda: False)() for name in probes)
    return False


def resolve(precision: str, device_type: str) -> str:
    """`fp32` or `bf16` for a configured `precision` (auto: bf16 where it is native)."""
    if precision not in CHOICES:
        raise ValueError(f"unknown precision {precision!r}: choose from {', '.join(CHOICES)}")
    if precision == "auto":
        return "bf16" if native_bf16(device_type) else "fp32"
    return precision


def autocast(precision: str, device_type: str) -> torch.autocast:
    """The autocast context for a resolved precision (disabled for fp32)."""
    return torch.autocast(device_type, dtype=torch.bfloat16, enabled=precision == "bf16")


def autocast_dtype(device_type: str, default: torch.dtype | None = None) -> torch.dtype | None:
    """The dtype autocast computes products in on `device_type` now, or `default` outside autocast."""
    return torch.get_autocast_dtype(device_type) if torch.is_autocast_enabled(device_type) else default
