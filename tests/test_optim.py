"""The paper's optimiser and schedule: AdamW groups and LR values at the points the paper names."""

from __future__ import annotations

import pytest
import torch

from corpus.recipe import load_config
from training.optim import OptimConfig, Schedule, build_optimizer, build_scheduler, param_groups


def test_multistep_schedule_values():
    cfg = OptimConfig(lr=4.2e-4, warmup_steps=2000)
    total = 100_000
    s = Schedule(cfg, total)
    assert s(0) == pytest.approx(1 / 2000)  # step 0 trains at peak/warmup
    assert s(999) == pytest.approx(0.5)
    assert s(1999) == pytest.approx(1.0)  # end of warmup: the peak
    assert s(2000) == 1.0
    assert s(79_999) == 1.0
    assert s(80_000) == pytest.approx(0.316)  # after 80% of training
    assert s(89_999) == pytest.approx(0.316)
    assert s(90_000) == pytest.approx(0.1)  # after 90%: 10% of the peak, not 0.0316
    assert s(total - 1) == pytest.approx(0.1)


def test_scheduler_drives_optimizer_lr():
    model = torch.nn.Linear(4, 4)
    cfg = OptimConfig(lr=1e-3, warmup_steps=2)
    opt = build_optimizer(model, cfg)
    sched = build_scheduler(opt, cfg, total_steps=10)
    lrs = []
    for _ in range(10):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    assert lrs[0] == pytest.approx(5e-4)
    assert lrs[1] == pytest.approx(1e-3)
    assert lrs[7] == pytest.approx(1e-3)
    assert lrs[8] == pytest.approx(3.16e-4)
    assert lrs[9] == pytest.approx(1e-4)
    # the schedule's state round-trips (resume)
    state = sched.state_dict()
    sched2 = build_scheduler(build_optimizer(model, cfg), cfg, total_steps=10)
    sched2.load_state_dict(state)
    assert sched2.last_epoch == sched.last_epoch


def test_constant_and_cosine():
    c = Schedule(OptimConfig(schedule="constant", warmup_steps=0), 10)
    assert [c(i) for i in (0, 5, 9)] == [1.0, 1.0, 1.0]
    cos = Schedule(OptimConfig(schedule="cosine", warmup_steps=0, min_lr_ratio=0.1), 11)
    assert cos(0) == pytest.approx(1.0)
    assert cos(11) == pytest.approx(0.1)
    with pytest.raises(ValueError):
        Schedule(OptimConfig(schedule="linear-ish"), 10)


def test_weight_decay_groups():
    model = torch.nn.Sequential(torch.nn.Embedding(10, 8), torch.nn.Linear(8, 8), torch.nn.LayerNorm(8))
    decay, no_decay = param_groups(model, OptimConfig())
    assert decay["weight_decay"] == 0.1 and no_decay["weight_decay"] == 0.0
    ids = {id(p) for p in decay["params"]}
    assert id(model[0].weight) in ids and id(model[1].weight) in ids
    assert {id(model[1].bias), id(model[2].weight), id(model[2].bias)} == {id(p) for p in no_decay["params"]}
    decay2, _ = param_groups(model, OptimConfig(no_decay_embeddings=True))
    assert id(model[0].weight) not in {id(p) for p in decay2["params"]}
    opt = build_optimizer(model, OptimConfig())
    assert opt.defaults["betas"] == (0.9, 0.95)


def test_optim_config_from_yaml(tmp_path):
    p = tmp_path / "o.yaml"
    p.write_text("lr: 5.3e-4\nbetas: [0.9, 0.95]\n")
    cfg = load_config(OptimConfig, p, ["warmup_steps=10"])
    assert cfg.lr == 5.3e-4 and cfg.betas == (0.9, 0.95) and cfg.warmup_steps == 10
