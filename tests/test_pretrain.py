"""End to end on the tiny model: the loss falls, outputs are complete, and kill-and-resume in a new
process reproduces the uninterrupted run's losses exactly (CPU, fp32: deterministic kernels)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from _pretrain_data import make_sources

from corpus.recipe import load_config
from training.metrics import read_metrics
from training.pretrain import PretrainConfig, pretrain

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def recipe(tmp_path_factory, shared_data) -> Path:
    root = tmp_path_factory.mktemp("pretrain")
    paths = make_sources(shared_data, root / "src", n_math=200, n_web=120, n_code=40)
    cfg = {
        "output_dir": str(root / "out"),
        "model": {
            "path": str(root / "tiny"),
            "gradient_checkpointing": False,
            "tiny": {
                "enabled": True,
                "vocab_size": 512,
                "tokenizer_docs": 100,
                "hidden_size": 48,
                "layers": 2,
                "heads": 2,
            },
        },
        "data": {
            "context": 64,
            "val_rows": 6,
            "val_permille": 30,
            "sources": [
                {"name": "math", "weight": 0.6, "paths": [str(paths["math"])]},
                {"name": "web", "weight": 0.2, "paths": [str(paths["web"])]},
                {"name": "code", "weight": 0.2, "paths": [str(paths["code"])]},
            ],
        },
        "optim": {"lr": 5.0e-3, "warmup_steps": 2},
        "train": {"micro_batch": 2, "batch_tokens": 256, "total_steps": 14, "log_every": 1, "val_every": 7},
        "checkpoint": {"every": 7, "keep_last": 2},
        "metrics": {"tensorboard": False},
    }
    path = root / "recipe.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path


def _losses(out: Path) -> dict[int, float]:
    return {r["step"]: r["loss"] for r in read_metrics(out) if "loss" in r}


@pytest.fixture(scope="module")
def straight(recipe) -> Path:
    """One uninterrupted run, shared by the tests below (the CPU is small)."""
    out = recipe.parent / "straight"
    pretrain(load_config(PretrainConfig, recipe, [f"output_dir={out}"]))
    return out


def test_loss_falls_and_outputs(straight):
    losses = _losses(straight)
    assert sorted(losses) == list(range(1, 15))
    first, final = sum(losses[s] for s in (1, 2, 3)) / 3, sum(losses[s] for s in (12, 13, 14)) / 3
    assert final < first - 0.3, (first, final)
    recs = read_metrics(straight)
    val = [r["val_loss"] for r in recs if "val_loss" in r]
    assert len(val) == 2 and val[-1] < losses[1]
    assert all({"lr", "grad_norm", "tokens_per_s"} <= r.keys() for r in recs if "loss" in r)
    assert abs([r for r in recs if "share/math" in r][-1]["share/math"] - 0.6) < 0.02
    assert (straight / "config.yaml").exists() and (straight / "final" / "model.safetensors").exists()
    from transformers import AutoModelForCausalLM, AutoTokenizer

    model = AutoModelForCausalLM.from_pretrained(straight / "final")
    tok = AutoTokenizer.from_pretrained(straight / "final")
    assert model.config.vocab_size == len(tok)


def test_kill_and_resume_matches_uninterrupted(recipe, straight, tmp_path):
    expected = _losses(straight)
    resumed = tmp_path / "resumed"
    first = pretrain(
        load_config(PretrainConfig, recipe, [f"output_dir={resumed}", "train.stop_after_steps=5"])
    )
    assert first["step"] == 5 and first["checkpoint_step"] == 5
    assert not (resumed / "final").exists()
    # a new process picks up the latest checkpoint (rerunning the same command resumes)
    env = {**os.environ, "PYTHONPATH": str(REPO), "HF_HUB_OFFLINE": "1"}
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "corpus.cli",
            "train",
            "pretrain",
            "--recipe",
            str(recipe),
            f"output_dir={resumed}",
        ],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    got = _losses(resumed)
    assert sorted(got) == sorted(expected) == list(range(1, 15))
    assert got == expected  # bit-identical: same data position, RNG, optimizer and scheduler state
    val = [r["val_loss"] for r in read_metrics(resumed) if "val_loss" in r]
    assert val == [r["val_loss"] for r in read_metrics(straight) if "val_loss" in r]


def test_cli_resolves_recipe_and_overrides():
    from click.testing import CliRunner

    from corpus.cli import main

    res = CliRunner().invoke(
        main,
        [
            "train",
            "pretrain",
            "--recipe",
            str(REPO / "pipelines/pretrain-deepseekmath-7b.yaml"),
            "--print-config",
            "optim.lr=1e-4",
            "train.micro_batch=4",
        ],
    )
    assert res.exit_code == 0, res.output
    cfg = yaml.safe_load(res.output)
    assert cfg["optim"]["lr"] == 1e-4 and cfg["train"]["micro_batch"] == 4
    assert cfg["optim"]["betas"] == [0.9, 0.95] and cfg["train"]["batch_tokens"] == 10_000_000
    assert [s["weight"] for s in cfg["data"]["sources"]] == [0.56, 0.04, 0.10, 0.20, 0.10]
    bad = CliRunner().invoke(
        main,
        [
            "train",
            "pretrain",
            "--recipe",
            str(REPO / "pipelines/pretrain-sample.yaml"),
            "--print-config",
            "optim.lrr=1",
        ],
    )
    assert bad.exit_code != 0 and "optim.lrr" in str(bad.exception)


@pytest.mark.slow
def test_two_processes_match_one(recipe, straight, tmp_path):
    """DDP on CPU (gloo): 2 processes × 1 micro batch reproduce 1 process × 2 accumulated micro batches."""
    out = tmp_path / "ddp"
    # torch.distributed.run really starts two gloo processes; `accelerate launch --cpu` starts one
    # unless it runs under mpirun.
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "HF_HUB_OFFLINE": "1",
        "OMP_NUM_THREADS": "1",
        "ACCELERATE_USE_CPU": "true",
    }
    cmd = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--standalone",
        "--nproc_per_node",
        "2",
        "-m",
        "corpus.cli",
        "-v",
        "train",
        "pretrain",
        "--recipe",
        str(recipe),
        f"output_dir={out}",
    ]
    proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "world 2" in proc.stderr + proc.stdout  # two processes really trained
    got, expected = _losses(out), _losses(straight)
    assert sorted(got) == sorted(expected)
    for step in expected:
        assert got[step] == pytest.approx(expected[step], rel=1e-4), step
