"""Mixing: token shares follow the weights (within 2%), deterministic, exact resume, per-rank slices."""

from __future__ import annotations

import itertools

import pytest
from _pretrain_data import make_sources, tiny_tokenizer

from training.data.sources import SourceConfig
from training.data.stream import DataConfig, StepBatches, build_mixture, validation_rows


@pytest.fixture(scope="module")
def setup(tmp_path_factory, shared_data):
    root = tmp_path_factory.mktemp("mix")
    paths = make_sources(shared_data, root)
    tok = tiny_tokenizer(shared_data)
    cfg = DataConfig(
        sources=[
            SourceConfig(name="math", weight=0.56, paths=[str(paths["math"])]),
            SourceConfig(name="web", weight=0.24, paths=[str(paths["web"])]),
            SourceConfig(name="code", weight=0.20, paths=[str(paths["code"])]),
        ],
        context=64,
        val_rows=8,
        val_permille=20,
    )
    return cfg, tok


def test_token_shares_within_two_percent(setup):
    cfg, tok = setup
    mix = build_mixture(cfg, tok)
    tokens = {"math": 0, "web": 0, "code": 0}
    for name, row in itertools.islice(mix, 500):
        tokens[name] += len(row)
    total = sum(tokens.values())
    for src in cfg.sources:
        assert abs(tokens[src.name] / total - src.weight) < 0.02, (src.name, tokens)
    # and within every window, not only on average: the first 50 rows too
    first = [n for n, _ in itertools.islice(build_mixture(cfg, tok), 50)]
    assert abs(first.count("math") / 50 - 0.56) < 0.02 + 1 / 50


def test_mixture_resume_is_exact(setup):
    cfg, tok = setup
    ref = [(n, r.tolist()) for n, r in itertools.islice(build_mixture(cfg, tok), 120)]
    mix = build_mixture(cfg, tok)
    list(itertools.islice(mix, 77))
    resumed = build_mixture(cfg, tok, state=mix.state_dict())
    assert [(n, r.tolist()) for n, r in itertools.islice(resumed, 43)] == ref[77:]


def test_step_batches_split_ranks(setup):
    cfg, tok = setup
    global_rows = [r.tolist() for _, r in itertools.islice(build_mixture(cfg, tok), 2 * 3 * 2)]
    per_rank = [
        next(StepBatches(build_mixture(cfg, tok), micro_batch=2, accum=3, world=2, rank=r)) for r in (0, 1)
    ]
    assert all(len(mbs) == 3 and tuple(mbs[0].shape) == (2, 64) for mbs in per_rank)
    seen = [row for a in range(3) for r in (0, 1) for row in per_rank[r][a].tolist()]
    assert seen == global_rows  # together the ranks see the global step exactly once, in order


def test_validation_rows_disjoint_from_training(setup):
    cfg, tok = setup
    val = validation_rows(cfg, tok)
    assert val.shape == (8, 64)
    train = {tuple(r.tolist()) for _, r in itertools.islice(build_mixture(cfg, tok), 300)}
    assert not train & {tuple(r) for r in val.tolist()}
