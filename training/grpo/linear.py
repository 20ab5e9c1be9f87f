"""`x @ w.T` for the lean forward, on oneDNN's fp32 kernel where that is the faster one.

Why: on a CPU, PyTorch sends a float32 matrix product to MKL's sgemm. MKL picks its fast AVX-512
kernels only on Intel processors; on an AMD EPYC (this project's CI and benchmark machine) it
runs its generic path, ~100 GFLOP/s per core, where oneDNN's fp32 kernel (also inside every
x86 PyTorch build, the one bf16 products already use) reaches ~250. Measured on the embedded
GRPO model's shapes (2,560 rows, one thread): forward and input-gradient products 2.3x faster,
weight-gradient products 1.5x. Small products (the decoder's per-token ones) stay on matmul,
which has less fixed cost per call. bfloat16 products (autocast) already go to oneDNN and are
left alone, as is everything off the CPU.

The kernel is `torch.ops.mkldnn._linear_pointwise` (what TorchInductor's CPU backend emits for a
linear layer), wrapped in an autograd Function whose backward uses the same kernel for both
gradients (first derivatives only). It is used on x86 CPUs (where it was measured; on Intel ones
MKL is fast too and the two are about equal), never on other architectures; where the op is
missing or fails a one-time probe, every product takes `torch.matmul`. The results equal MKL's to
float32 rounding (tests/test_grpo_model.py compares values and gradients).
"""

from __future__ import annotations

import platform

import torch

_OP = None  # the oneDNN kernel, or False once it is known to be unusable


def _kernel():
    global _OP
    if _OP is None:
        op = getattr(getattr(torch.ops, "mkldnn", None), "_linear_pointwise", None)
        try:
            x86 = platform.machine().lower() in ("x86_64", "amd64")
            ok = x86 and op is not None and torch.backends.mkldnn.is_available()
            if ok:  # probe once: some builds register the op without a CPU kernel
                a = torch.ones(2, 3, dtype=torch.float32, device="cpu")
                b = torch.ones(4, 3, dtype=torch.float32, device="cpu")
                ok = bool(torch.equal(op(a, b, None, "none", [], ""), a @ b.T))
        except (RuntimeError, NotImplementedError):
            ok = False
        _OP = op if ok else False
    return _OP


def _mm_t(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """a [M, K] @ b [N, K].T on oneDNN."""
    return _kernel()(a, b, None, "none", [], "")


class _OneDNNLinear(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x2d: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        ctx.save_for_backward(x2d, w)
        return _mm_t(x2d, w)

    @staticmethod
    @torch.autograd.function.once_differentiable  # double backward raises instead of giving 0
    def backward(ctx, dy: torch.Tensor):
        x2d, w = ctx.saved_tensors
        dy = dy.contiguous()
        dx = _mm_t(dy, w.t()) if ctx.needs_input_grad[0] else None  # dy @ w
        dw = _mm_t(dy.t(), x2d.t()) if ctx.needs_input_grad[1] else None  # dy.T @ x
        return dx, dw


# Below ~1M multiply-adds a product takes matmul: a oneDNN call has ~12 us of fixed cost, which the
# decoder's per-token products (8-24 rows) do not earn back (128x128 weight, 8 rows: 13.6 vs 5.5 us;
# crossover at 0.7-0.9M multiply-adds for weights of 128-688 rows, one thread, this AMD EPYC).
# The update pass's products (2,560 rows) are far above it. An empty product has no primitive.
_MIN_MACS = 1 << 20


def _use_onednn(x: torch.Tensor, w: torch.Tensor) -> bool:
    return (
        x.device.type == "cpu"
        and x.numel() // max(1, x.shape[-1]) * w.shape[0] * w.shape[1] >= _MIN_MACS
        and x.dtype == torch.float32
        and w.dtype == torch.float32
        and not torch.is_autocast_enabled("cpu")
        and bool(_kernel())
    )


def linear(x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
    """x [..., K] @ w [N, K].T, differentiable in both."""
    if not _use_onednn(x, w):
        return x @ w.T
    lead = x.shape[:-1]
    x2d = x.reshape(-1, x.shape[-1]).contiguous()
    if torch.is_grad_enabled() and (x.requires_grad or w.requires_grad):
        y = _OneDNNLinear.apply(x2d, w)
    else:
        y = _mm_t(x2d, w)
    return y.view(*lead, w.shape[0])
