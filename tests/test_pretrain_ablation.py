"""Code-vs-text ablation driver at toy scale: both starts share an init, get the same math stage, and
the table reports held-out math loss before and after it."""

from __future__ import annotations

import json

import pytest
import yaml
from _pretrain_data import make_sources

from corpus.recipe import load_config
from training.ablation import AblationConfig, run_ablation


@pytest.mark.slow
def test_ablation_code_vs_text(tmp_path, shared_data):
    paths = make_sources(shared_data, tmp_path / "src", n_math=150, n_web=80, n_code=30)
    math_recipe = tmp_path / "math.yaml"
    math_recipe.write_text(
        yaml.safe_dump(
            {
                "model": {
                    "path": "unused",
                    "gradient_checkpointing": False,
                    "tiny": {
                        "enabled": True,
                        "vocab_size": 512,
                        "tokenizer_docs": 60,
                        "hidden_size": 32,
                        "layers": 1,
                        "heads": 2,
                    },
                },
                "data": {
                    "context": 64,
                    "val_rows": 4,
                    "val_permille": 40,
                    "sources": [{"name": "corpus", "weight": 1.0, "paths": [str(paths["math"])]}],
                },
                "optim": {"lr": 5.0e-3, "warmup_steps": 1},
                "train": {
                    "micro_batch": 4,
                    "batch_tokens": 256,
                    "total_steps": 6,
                    "log_every": 1,
                    "val_every": 0,
                },
                "checkpoint": {"every": 0},
                "metrics": {"tensorboard": False},
            }
        )
    )
    ablation = tmp_path / "ablation.yaml"
    ablation.write_text(
        yaml.safe_dump(
            {
                "output_dir": str(tmp_path / "out"),
                "math_recipe": str(math_recipe),
                "starts": [
                    {
                        "name": "code",
                        "stage1": {
                            "data": {"sources": [{"name": "code", "paths": [str(paths["code"])]}]},
                            "train": {"total_steps": 4},
                        },
                    },
                    {
                        "name": "text",
                        "stage1": {
                            "data": {"sources": [{"name": "web", "paths": [str(paths["web"])]}]},
                            "train": {"total_steps": 4},
                        },
                    },
                ],
                "eval_command": "echo evaluated {model}",
            }
        )
    )
    rows = run_ablation(load_config(AblationConfig, ablation))
    assert [r["start"] for r in rows] == ["code", "text"]
    assert rows[0]["math_tokens"] == rows[1]["math_tokens"] == 6 * 256  # same budget
    for r in rows:
        assert r["math_val_loss_after"] < r["math_val_loss_before"]
        assert r["eval_rc"] == 0
    out = tmp_path / "out"
    assert "evaluated" in (out / "eval-code.txt").read_text()
    assert json.loads((out / "ablation.json").read_text()) == rows
    assert "| code |" in (out / "ablation.md").read_text()
