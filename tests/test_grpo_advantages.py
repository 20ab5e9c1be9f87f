"""Advantages against hand-computed values (DeepSeekMath §4.1.2 outcome, §4.1.3 process, Dr. GRPO)."""

import math

import pytest
import torch

from training.grpo.advantages import outcome_advantages, process_advantages


def test_outcome_advantage_is_group_zscore():
    # group 1: r = [1, 0, 0, 1]: mean 0.5, unbiased std sqrt(1/3)
    # group 2: all equal -> 0 (eps keeps it finite)
    adv = outcome_advantages(torch.tensor([1.0, 0, 0, 1, 1, 1, 1, 1]), group_size=4, eps=0.0 + 1e-12)
    s = math.sqrt(1 / 3)
    expected = torch.tensor([0.5 / s, -0.5 / s, -0.5 / s, 0.5 / s, 0, 0, 0, 0])
    assert torch.allclose(adv, expected, atol=1e-5)


def test_dr_grpo_advantage_only_subtracts_mean():
    adv = outcome_advantages(torch.tensor([2.0, 0.0, 1.0]), group_size=3, scale_std=False)
    assert torch.allclose(adv, torch.tensor([1.0, -1.0, 0.0]))


def test_outcome_rejects_ragged_groups():
    with pytest.raises(ValueError):
        outcome_advantages(torch.ones(5), group_size=2)


def test_process_advantage_sums_future_normalised_step_rewards():
    # Group of 2 outputs, length 4. Output 0: steps end at tokens 1 (r=1) and 3 (r=0);
    # output 1: one step ending at token 2 (r=1). R = [1, 0, 1]: mean 2/3, unbiased std sqrt(1/3).
    adv = process_advantages([[(1, 1.0), (3, 0.0)], [(2, 1.0)]], group_size=2, completion_len=4, eps=1e-12)
    s = math.sqrt(1 / 3)
    hi, lo = (1 - 2 / 3) / s, (0 - 2 / 3) / s
    expected = torch.tensor([[hi + lo, hi + lo, lo, lo], [hi, hi, hi, 0.0]])
    assert torch.allclose(adv, expected, atol=1e-5)


def test_process_advantage_without_std():
    adv = process_advantages([[(0, 1.0)], [(0, 0.0)]], group_size=2, completion_len=2, scale_std=False)
    assert torch.allclose(adv, torch.tensor([[0.5, 0.0], [-0.5, 0.0]]))
