"""Identical outputs of a group, computed once.

The G outputs of a question are sampled independently, and when the policy is confident many of
them come out token for token the same (on the embedded arithmetic task about two thirds of each
step's 64 outputs repeat another output of their group). Two such outputs have the same log-probs
under every model, the same reward, the same advantages and so the same loss term. The reference
and update passes therefore run each distinct output once and weigh its loss term by the number of
outputs it stands for (`grpo_loss(weights=…)`): the loss, its gradient and the logged statistics
are those of the full batch, up to float rounding (summation order; products over fewer rows), at
the cost of the distinct outputs only.

The key is (question, completion tokens, advantages), so two outputs are merged only when
everything the loss reads of them is equal, whatever the reward: a reward that could differ for
equal texts (a sampled reward model, say) leaves them apart. The gain is what the duplicate rate
gives: on long reasoning outputs (the paper's 1,024 tokens) repeats are rare except in groups the
policy already solves; there the passes cost what they did (one dictionary lookup per output).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass
class Distinct:
    """Which rollout rows to compute, and how many outputs each stands for."""

    rows: torch.Tensor  # [U] long, ascending: the first occurrence of each distinct output
    counts: torch.Tensor  # [U] float: outputs (rollout rows) each stands for; sums to N

    @property
    def fraction(self) -> float:
        """Distinct outputs over all outputs (1.0: nothing repeated)."""
        return self.rows.numel() / max(float(self.counts.sum()), 1.0)


def distinct_outputs(
    completion_ids: torch.Tensor, completion_mask: torch.Tensor, advantages: torch.Tensor, group_size: int
) -> Distinct:
    """Distinct (question, completion, advantages) rows of a rollout whose rows i·G … i·G+G−1
    belong to question i; `advantages` is [N] or [N, C]. A completion is its padded token row and
    its mask. The result lives on the rollout's device."""
    ids = completion_ids.cpu().numpy()
    mask = completion_mask.cpu().numpy()
    adv = advantages.detach().cpu().reshape(advantages.shape[0], -1).numpy()
    first: dict[tuple, int] = {}
    rows: list[int] = []
    counts: list[float] = []
    for i in range(ids.shape[0]):
        key = (i // group_size, ids[i].tobytes(), mask[i].tobytes(), adv[i].tobytes())
        j = first.get(key)
        if j is None:
            first[key] = len(rows)
            rows.append(i)
            counts.append(1.0)
        else:
            counts[j] += 1.0
    device = completion_ids.device
    return Distinct(torch.tensor(rows, dtype=torch.long, device=device), torch.tensor(counts, device=device))
