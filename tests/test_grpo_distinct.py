"""Distinct outputs: each repeated output computed once and weighted by its copies gives the full
batch's loss, statistics and gradients."""

import pytest
import torch

from training.grpo.distinct import distinct_outputs
from training.grpo.loss import AGGREGATIONS, BatchShape, grpo_loss


def test_distinct_outputs_keys_on_question_tokens_and_advantages():
    ids = torch.tensor([[5, 6, 0], [5, 6, 0], [7, 0, 0], [5, 6, 0], [5, 6, 0], [5, 6, 0]])
    adv = torch.tensor([1.0, 1.0, -1.0, 0.5, 0.5, 0.5])
    d = distinct_outputs(ids, ids != 0, adv, group_size=3)
    # group 0: rows 0 and 1 are one output, row 2 another; group 1 repeats group 0's text but is
    # another question, so it stays apart from it.
    assert d.rows.tolist() == [0, 2, 3]
    assert d.counts.tolist() == [2.0, 1.0, 3.0]
    assert d.fraction == pytest.approx(3 / 6)
    # Equal tokens with different per-token advantages (process supervision) are not merged.
    step_adv = torch.tensor([[1.0, 0.0, 0.0], [2.0, 0.0, 0.0], [0.0, 0.0, 0.0]])
    d = distinct_outputs(ids[:3], ids[:3] != 0, step_adv, group_size=3)
    assert d.rows.tolist() == [0, 1, 2] and d.fraction == 1.0


@pytest.mark.parametrize("loss_type", sorted(AGGREGATIONS))
def test_weighted_rows_equal_repeated_rows(loss_type):
    gen = torch.Generator().manual_seed(0)
    U, C = 4, 5
    logp_u = (-torch.rand(U, C, generator=gen)).requires_grad_()
    old_u = logp_u.detach() + 0.3 * torch.randn(U, C, generator=gen)
    ref_u = logp_u.detach() + 0.2 * torch.randn(U, C, generator=gen)
    adv_u = torch.randn(U, generator=gen)
    mask_u = torch.ones(U, C)
    mask_u[1, 3:] = 0
    mask_u[3, 1:] = 0
    counts = torch.tensor([3.0, 1.0, 2.0, 2.0])
    rows = torch.repeat_interleave(torch.arange(U), counts.long())  # the full batch
    shape = BatchShape(num_outputs=len(rows), num_tokens=int(mask_u[rows].sum()), max_len=C)

    full_logp = logp_u.detach()[rows].requires_grad_()
    args = dict(epsilon=0.2, beta=0.04, loss_type=loss_type)
    full, full_stats = grpo_loss(
        full_logp, old_u[rows], ref_u[rows], adv_u[rows], mask_u[rows], shape, **args
    )
    full.backward()
    weighted, stats = grpo_loss(logp_u, old_u, ref_u, adv_u, mask_u, shape, weights=counts, **args)
    weighted.backward()

    assert torch.isclose(full, weighted, atol=1e-6)
    assert stats == pytest.approx(full_stats, abs=1e-6)
    summed = torch.zeros(U, C).index_add_(0, rows, full_logp.grad)
    assert torch.allclose(logp_u.grad, summed, atol=1e-6)
