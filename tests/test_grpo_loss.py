"""GRPO loss against hand-computed tensors: clipping, KL estimator, and each aggregation variant."""

import math

import pytest
import torch

from training.grpo.loss import AGGREGATIONS, BatchShape, grpo_loss, kl_estimator


def test_kl_estimator_values():
    # π_ref/π_θ = r: KL = r - log r - 1
    logp = torch.log(torch.tensor([0.5, 0.2, 0.9]))
    ref = torch.log(torch.tensor([0.5, 0.4, 0.3]))
    r = torch.tensor([1.0, 2.0, 1 / 3])
    expected = r - torch.log(r) - 1
    assert torch.allclose(kl_estimator(logp, ref), expected, atol=1e-6)
    assert kl_estimator(logp, ref)[0] == 0  # identical policies
    assert (kl_estimator(logp, ref) >= 0).all()
    assert math.isclose(float(kl_estimator(logp, ref)[1]), 2 - math.log(2) - 1, rel_tol=1e-5)


def _case():
    # 2 outputs, 3 tokens; output 1 has 2 real tokens.
    old = torch.zeros(2, 3)
    logp = torch.log(torch.tensor([[1.5, 1.0, 0.7], [0.5, 1.1, 1.0]]))  # ratios (old = 0)
    adv = torch.tensor([1.0, -2.0])
    mask = torch.tensor([[1.0, 1, 1], [1, 1, 0]])
    return logp, old, adv, mask


def _per_token_objective():
    # clipped surrogate by hand, ε = 0.2:
    # output 0 (A=+1): ratios 1.5 -> min(1.5, 1.2)=1.2; 1.0 -> 1.0; 0.7 -> min(0.7, 0.8)=0.7
    # output 1 (A=-2): ratios 0.5 -> min(-1.0, -1.6)=-1.6; 1.1 -> -2.2; (masked)
    return torch.tensor([[1.2, 1.0, 0.7], [-1.6, -2.2, 0.0]])


def test_grpo_aggregation_per_output_then_mean():
    logp, old, adv, mask = _case()
    shape = BatchShape(num_outputs=2, num_tokens=5, max_len=4)
    loss, stats = grpo_loss(logp, old, None, adv, mask, shape, beta=0.0, loss_type="grpo")
    obj = _per_token_objective()
    expected = -((obj[0].sum() / 3 + obj[1, :2].sum() / 2) / 2)
    assert torch.isclose(loss, expected, atol=1e-6)
    # clipped: token (0,0) (ratio 1.5 > 1.2, A > 0) and (1,0) (ratio 0.5 < 0.8, A < 0): 2 of 5
    assert stats["clip_fraction"] == pytest.approx(2 / 5)


def test_token_level_aggregation_dapo():
    logp, old, adv, mask = _case()
    shape = BatchShape(num_outputs=2, num_tokens=5, max_len=4)
    loss, _ = grpo_loss(logp, old, None, adv, mask, shape, beta=0.0, loss_type="token")
    assert torch.isclose(loss, -_per_token_objective().sum() / 5, atol=1e-6)


def test_dr_grpo_aggregation_constant_denominator():
    logp, old, adv, mask = _case()
    shape = BatchShape(num_outputs=2, num_tokens=5, max_len=4)
    loss, _ = grpo_loss(logp, old, None, adv, mask, shape, beta=0.0, loss_type="dr_grpo")
    assert torch.isclose(loss, -_per_token_objective().sum() / (2 * 4), atol=1e-6)


def test_separate_upper_clip():
    logp, old, adv, mask = _case()
    shape = BatchShape(num_outputs=2, num_tokens=5, max_len=4)
    loss, _ = grpo_loss(
        logp, old, None, adv, mask, shape, epsilon=0.2, epsilon_high=0.28, beta=0.0, loss_type="token"
    )
    obj = _per_token_objective()
    obj[0, 0] = 1.28  # clip at 1 + 0.28 instead of 1.2
    assert torch.isclose(loss, -obj.sum() / 5, atol=1e-6)


def test_kl_term_enters_with_beta():
    logp = torch.log(torch.tensor([[0.5, 0.5]]))
    ref = torch.log(torch.tensor([[0.25, 0.5]]))  # π_ref/π_θ = 0.5 on token 0
    mask = torch.ones(1, 2)
    shape = BatchShape(1, 2, 2)
    loss, stats = grpo_loss(logp, logp.detach(), ref, torch.tensor([0.0]), mask, shape, beta=0.04)
    kl0 = 0.5 - math.log(0.5) - 1
    assert float(loss) == pytest.approx(0.04 * kl0 / 2, rel=1e-5)
    assert stats["kl"] == pytest.approx(kl0 / 2, rel=1e-5)


def test_ratio_one_gradient_is_advantage_weighted_logprob():
    # With π_θold = π_θ (μ = 1) the gradient of the surrogate is A ∇log π.
    logp = torch.log(torch.tensor([[0.3, 0.6]])).requires_grad_(True)
    shape = BatchShape(1, 2, 2)
    loss, _ = grpo_loss(logp, logp.detach(), None, torch.tensor([2.0]), torch.ones(1, 2), shape, beta=0.0)
    loss.backward()
    assert torch.allclose(logp.grad, torch.tensor([[-1.0, -1.0]]))  # -(A / |o|)


def test_loss_variants_are_a_mapping():
    assert set(AGGREGATIONS) == {"grpo", "token", "dr_grpo"}
    with pytest.raises(ValueError):
        grpo_loss(
            torch.zeros(1, 1),
            torch.zeros(1, 1),
            None,
            torch.zeros(1),
            torch.ones(1, 1),
            BatchShape(1, 1, 1),
            loss_type="nope",
        )
