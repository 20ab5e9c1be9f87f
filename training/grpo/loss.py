r"""The GRPO objective (DeepSeekMath eq. 3 with the KL estimator of eq. 4), as a loss to minimise.

Per token (eq. 3):
    ρ = π_θ(o_t) / π_θold(o_t)
    J_t = min(ρ·Â_t, clip(ρ, 1−ε_low, 1+ε_high)·Â_t) − β·D_KL,t
    D_KL,t = π_ref/π_θ − log(π_ref/π_θ) − 1                    (eq. 4, unbiased and ≥ 0)
Aggregation (`AGGREGATIONS`, chosen by `loss_type`):
    grpo     1/G Σ_i 1/|o_i| Σ_t J_t   (paper: mean over each output's tokens, then over outputs; over a
             batch of several questions this is the mean over all outputs, as 1/G Σ_i per group averaged)
    token    Σ_{i,t} J_t / Σ_i |o_i|   (DAPO: every token weighs the same, long outputs are not diluted)
    dr_grpo  Σ_{i,t} J_t / (N · L_max) (Dr. GRPO: a constant denominator, no length normalisation; pair
             with advantages without std scaling)
Loss = −aggregate. Departures: ε_high may differ from ε_low (DAPO's "clip-higher"); the paper has
one ε. The denominators are given for the whole batch so gradient accumulation over micro-batches
sums to exactly the full-batch loss. `weights` counts how many identical outputs a row stands for
(training/grpo/distinct.py): a row of weight k adds exactly what k copies of it would.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch


def kl_estimator(logp: torch.Tensor, ref_logp: torch.Tensor) -> torch.Tensor:
    """Eq. 4 per token: π_ref/π_θ − log(π_ref/π_θ) − 1 = exp(Δ) − Δ − 1 with Δ = log π_ref − log π_θ."""
    delta = ref_logp - logp
    return torch.exp(delta) - delta - 1


@dataclass(frozen=True)
class BatchShape:
    """Whole-batch sizes the aggregations normalise by (micro-batches share them)."""

    num_outputs: int  # N: outputs in the optimisation batch
    num_tokens: int  # Σ_i |o_i| over the batch
    max_len: int  # L_max: the generation length limit


def _per_output_mean(
    obj: torch.Tensor, mask: torch.Tensor, w: torch.Tensor, shape: BatchShape
) -> torch.Tensor:
    per_output = (obj * mask).sum(-1) / mask.sum(-1).clamp(min=1)
    return (per_output * w).sum() / shape.num_outputs


def _token_mean(obj: torch.Tensor, mask: torch.Tensor, w: torch.Tensor, shape: BatchShape) -> torch.Tensor:
    return ((obj * mask).sum(-1) * w).sum() / max(shape.num_tokens, 1)


def _constant_norm(obj: torch.Tensor, mask: torch.Tensor, w: torch.Tensor, shape: BatchShape) -> torch.Tensor:
    return ((obj * mask).sum(-1) * w).sum() / (shape.num_outputs * shape.max_len)


AGGREGATIONS = {"grpo": _per_output_mean, "token": _token_mean, "dr_grpo": _constant_norm}


def grpo_loss(
    logp: torch.Tensor,
    old_logp: torch.Tensor,
    ref_logp: torch.Tensor | None,
    advantages: torch.Tensor,
    mask: torch.Tensor,
    shape: BatchShape,
    epsilon: float = 0.2,
    epsilon_high: float | None = None,
    beta: float = 0.04,
    loss_type: str = "grpo",
    weights: torch.Tensor | None = None,
) -> tuple[torch.Tensor, dict[str, float]]:
    """Loss (to minimise) and stats for one micro-batch; tensors [B, C], advantages [B] or [B, C],
    `weights` [B]: outputs each row stands for (None: one each)."""
    if loss_type not in AGGREGATIONS:
        raise ValueError(f"unknown loss_type {loss_type!r}; choose from {sorted(AGGREGATIONS)}")
    mask = mask.to(logp.dtype)
    w = logp.new_ones(logp.shape[0]) if weights is None else weights.to(logp)
    adv = advantages if advantages.dim() == 2 else advantages[:, None]
    ratio = torch.exp(logp - old_logp)
    hi = epsilon if epsilon_high is None else epsilon_high
    clipped = torch.clamp(ratio, 1 - epsilon, 1 + hi)
    obj = torch.min(ratio * adv, clipped * adv)
    kl = None
    if beta != 0.0 and ref_logp is not None:
        kl = kl_estimator(logp, ref_logp)
        obj = obj - beta * kl
    loss = -AGGREGATIONS[loss_type](obj, mask, w, shape)
    with torch.no_grad():
        wmask = mask * w[:, None]  # token weights of the stats: each output's tokens once per copy
        n_tok = wmask.sum().clamp(min=1)
        # A token is clipped when the clipped term is the smaller one, i.e. its gradient is cut.
        was_clipped = ((ratio < 1 - epsilon) & (adv < 0)) | ((ratio > 1 + hi) & (adv > 0))
        stats = {
            "clip_fraction": float((was_clipped.float() * wmask).sum() / n_tok),
            "kl": float((kl * wmask).sum() / n_tok) if kl is not None else 0.0,
            "ratio_mean": float((ratio * wmask).sum() / n_tok),
        }
    return loss, stats
