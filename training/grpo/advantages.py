r"""Group-relative advantages (DeepSeekMath §4.1.2 and §4.1.3).

Outcome supervision (§4.1.2): for the G rewards r of one question,
    Â_{i,t} = r̃_i = (r_i − mean(r)) / std(r)   for every token t of output i.
Process supervision (§4.1.3): with step rewards R = {r_i^{index(j)}} of all G outputs,
    r̃_i^{index(j)} = (r_i^{index(j)} − mean(R)) / std(R),   Â_{i,t} = Σ_{index(j) ≥ t} r̃_i^{index(j)}.

Departures, each a setting: std is the unbiased sample std plus `eps` = 1e-4 in the denominator (the
paper does not say which std; this is TRL's choice, kept so the side-by-side benchmark compares like
with like, and `eps` keeps all-equal groups at advantage 0 instead of 0/0). `scale_std=False` is
Dr. GRPO (Liu et al. 2025): only the mean is subtracted, removing the question-difficulty bias.
"""

from __future__ import annotations

import torch


def outcome_advantages(
    rewards: torch.Tensor, group_size: int, scale_std: bool = True, eps: float = 1e-4
) -> torch.Tensor:
    """Per-output advantages [N] from rewards [N] laid out as consecutive groups of `group_size`."""
    if rewards.numel() % group_size:
        raise ValueError(f"{rewards.numel()} rewards do not split into groups of {group_size}")
    r = rewards.float().view(-1, group_size)
    adv = r - r.mean(dim=1, keepdim=True)
    if scale_std:
        adv = adv / (r.std(dim=1, keepdim=True) + eps)
    return adv.reshape(-1)


def process_advantages(
    step_rewards: list[list[tuple[int, float]]],
    group_size: int,
    completion_len: int,
    scale_std: bool = True,
    eps: float = 1e-4,
) -> torch.Tensor:
    """Per-token advantages [N, completion_len] from (token index where a step ends, reward) lists.

    Normalisation is over every step reward of the group's outputs together; a token's advantage is
    the sum of the normalised rewards of its own step and all later steps.
    """
    n = len(step_rewards)
    if n % group_size:
        raise ValueError(f"{n} outputs do not split into groups of {group_size}")
    adv = torch.zeros(n, completion_len)
    for g in range(0, n, group_size):
        rows = step_rewards[g : g + group_size]
        values = torch.tensor([r for row in rows for _, r in row], dtype=torch.float)
        if values.numel() == 0:
            continue
        mean = values.mean()
        std = values.std() if values.numel() > 1 else torch.tensor(0.0)
        for i, row in enumerate(rows):
            per_token = torch.zeros(completion_len)
            for idx, r in row:
                norm = (r - mean) / (std + eps) if scale_std else r - mean
                per_token[min(max(idx, 0), completion_len - 1)] += norm
            # Â_t = Σ_{index(j) ≥ t} r̃_j: a reverse cumulative sum over token positions.
            adv[g + i] = per_token.flip(0).cumsum(0).flip(0)
    return adv
