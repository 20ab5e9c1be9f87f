"""Causal-LM loss without materialising the full logits: a chunked, fused linear + cross-entropy.

The output projection and the cross-entropy are computed chunk by chunk of positions; each chunk's
gradient (softmax − one-hot) is turned into the gradients of the hidden states and of the projection
weight straight away, so the [tokens × vocab] logits never exist in full and are never kept for the
backward pass. This is the algorithm of Liger-Kernel's FusedLinearCrossEntropy, written with plain
torch ops so it runs on CPU and any GPU (Liger's version is Triton-only). The result equals HF's
`ForCausalLMLoss` (mean over predicted tokens, labels shifted by one) to float tolerance; tests check it.

It reads the output weight directly, so it needs an unsharded `lm_head` (single device, DDP); under
FSDP or ZeRO-3 use `loss="hf"`.
"""

from __future__ import annotations

import torch
from torch import nn


class _LinearCrossEntropy(torch.autograd.Function):
    @staticmethod
    def forward(ctx, hidden: torch.Tensor, weight: torch.Tensor, targets: torch.Tensor, chunk: int):
        n = hidden.shape[0]
        grad_h = torch.empty_like(hidden)
        grad_w = torch.zeros(weight.shape, dtype=torch.float32, device=weight.device)
        w = weight.to(hidden.dtype)
        total = torch.zeros((), dtype=torch.float32, device=hidden.device)
        for s in range(0, n, chunk):
            h, t = hidden[s : s + chunk], targets[s : s + chunk]
            logits = (h @ w.T).float()
            lse = torch.logsumexp(logits, dim=-1)
            idx = torch.arange(t.shape[0], device=t.device)
            total += (lse - logits[idx, t]).sum()
            probs = logits.sub_(lse[:, None]).exp_()  # softmax in place: d loss / d logits before scaling
            probs[idx, t] -= 1.0
            g = probs.to(hidden.dtype)
            grad_h[s : s + chunk] = g @ w
            grad_w.addmm_(g.T.float(), h.float())  # no-op casts in fp32; fp32 accumulation in bf16
        ctx.save_for_backward(grad_h, grad_w)
        ctx.weight_dtype = weight.dtype
        ctx.n = n
        return total / max(n, 1)

    @staticmethod
    def backward(ctx, grad_out: torch.Tensor):
        grad_h, grad_w = ctx.saved_tensors
        scale = grad_out / max(ctx.n, 1)
        return grad_h * scale.to(grad_h.dtype), (grad_w * scale).to(ctx.weight_dtype), None, None


def linear_cross_entropy(
    hidden: torch.Tensor, weight: torch.Tensor, targets: torch.Tensor, chunk: int = 4096
):
    """Mean cross-entropy of `hidden @ weight.T` against `targets` (all positions count), chunked."""
    return _LinearCrossEntropy.apply(hidden, weight, targets, chunk)


class CausalLMLoss(nn.Module):
    """Wraps an HF causal LM so `forward(input_ids)` returns the next-token loss of packed rows.

    Wrapping (rather than calling sub-modules from the loop) keeps the forward inside DDP's wrapper,
    so gradient synchronisation works. `mode="fused"` uses `linear_cross_entropy`; `mode="hf"` the
    model's own loss (`model(input_ids, labels=input_ids)`), needed under FSDP / ZeRO-3.
    """

    def __init__(self, hf_model: nn.Module, mode: str = "fused", chunk: int = 4096):
        super().__init__()
        if mode not in ("fused", "hf"):
            raise ValueError(f"loss mode must be fused or hf, got {mode!r}")
        self.hf_model = hf_model
        self.mode = mode
        self.chunk = chunk

    def forward(self, input_ids: torch.Tensor) -> torch.Tensor:
        if self.mode == "hf":
            return self.hf_model(input_ids=input_ids, labels=input_ids, use_cache=False).loss
        hidden = self.hf_model.model(input_ids=input_ids, use_cache=False).last_hidden_state
        h = hidden[:, :-1].reshape(-1, hidden.shape[-1])
        targets = input_ids[:, 1:].reshape(-1)
        return linear_cross_entropy(h, self.hf_model.get_output_embeddings().weight, targets, self.chunk)
