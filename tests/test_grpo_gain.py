"""The embedded default end to end: SFT, then GRPO raises held-out greedy accuracy (slow: minutes)."""

import pytest


@pytest.mark.slow
@pytest.mark.timeout(3600)
def test_grpo_raises_heldout_accuracy(tmp_path):
    from pathlib import Path

    from corpus.recipe import load_config
    from training.grpo.trainer import GRPOConfig, train_grpo
    from training.sft import SFTConfig, train_sft

    root = Path(__file__).resolve().parents[1] / "pipelines"
    sft_dir = tmp_path / "sft"
    sft = train_sft(
        load_config(
            SFTConfig,
            root / "sft-sample.yaml",
            [f"output_dir={sft_dir}", "eval_size=200", "metrics.tensorboard=false"],
        )
    )
    cfg = load_config(
        GRPOConfig,
        root / "grpo-sample.yaml",
        [
            f"model={sft_dir / 'final'}",
            f"train_data={sft_dir / 'data' / 'train.jsonl'}",
            f"eval_data={sft_dir / 'data' / 'test.jsonl'}",
            f"output_dir={tmp_path / 'grpo'}",
            "eval_size=200",
            "steps_per_iteration=40",
            "eval_every=0",
            "metrics.tensorboard=false",
        ],
    )
    summary = train_grpo(cfg)
    before, after = summary["curve"][0]["accuracy"], summary["curve"][-1]["accuracy"]
    assert before == pytest.approx(sft["heldout_accuracy"], abs=0.03)
    assert after >= before + 0.08, f"GRPO did not raise accuracy enough: {before:.3f} -> {after:.3f}"
