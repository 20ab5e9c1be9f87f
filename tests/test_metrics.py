"""Metrics: JSON lines + TensorBoard files, truncation on resume, PaLM-style FLOP accounting."""

from __future__ import annotations

import pytest
from transformers import LlamaConfig, LlamaForCausalLM

from training.metrics import (
    MetricsConfig,
    MetricsLogger,
    Throughput,
    flops_per_token,
    matmul_params,
    read_metrics,
)


def test_logger_writes_jsonl_and_tensorboard(tmp_path):
    log = MetricsLogger(tmp_path, MetricsConfig())
    for step in (1, 2, 3):
        log.log(step, {"loss": 1.0 / step, "lr": 0.1})
    log.truncate_after(2)
    log.log(3, {"loss": 0.25})
    log.close()
    recs = read_metrics(tmp_path)
    assert [r["step"] for r in recs] == [1, 2, 3] and recs[-1]["loss"] == 0.25
    assert any((tmp_path / "tensorboard").iterdir())
    MetricsLogger(tmp_path / "other", MetricsConfig(), is_main=False).log(1, {"loss": 1})
    assert not (tmp_path / "other").exists()


def test_flops_and_mfu():
    assert flops_per_token(1_000, 2, 8, 16) == 6_000 + 12 * 2 * 8 * 16
    cfg = LlamaConfig(
        vocab_size=100,
        hidden_size=8,
        intermediate_size=16,
        num_hidden_layers=1,
        num_attention_heads=2,
        num_key_value_heads=2,
        tie_word_embeddings=False,
    )
    model = LlamaForCausalLM(cfg)
    total = sum(p.numel() for p in model.parameters())
    assert matmul_params(model) == total - 100 * 8  # input embedding is a lookup, not a matmul
    tp = Throughput(flops_per_token=10.0, peak_flops=100.0, world_size=2)
    tp.add(1000)
    r = tp.rate()
    assert r["mfu"] == pytest.approx(r["tokens_per_s"] * 10 / 200)
