"""SFT: data loading, chat rendering, packing and a short real training run on the arithmetic task."""

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from training.qa_data import load_rows, select_fields


def test_load_rows_jsonl_parquet_and_skip_incomplete(tmp_path):
    rows = [{"question": "q1", "solution": "s1"}, {"question": "q2"}, {"question": "q3", "solution": "s3"}]
    (tmp_path / "a.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    pq.write_table(pa.Table.from_pylist([rows[0], rows[2]]), tmp_path / "b.parquet")
    got, skipped = select_fields(
        load_rows(str(tmp_path / "a.jsonl")), {"question": "question", "solution": "solution"}
    )
    assert [r["question"] for r in got] == ["q1", "q3"] and skipped == 1
    assert len(load_rows(str(tmp_path / "b.parquet"))) == 2


def test_response_rendering_matches_chat_template():
    from training.chat import encode_pair, prompt_text, response_text
    from training.tasks.arithmetic import ArithmeticTask, build_tokenizer, generate

    train, _ = generate(ArithmeticTask(train_size=50, test_size=5))
    tok = build_tokenizer(train)
    r = train[0]
    assert prompt_text(tok, r["question"]).endswith("Assistant:")
    assert response_text(tok, r["question"], r["solution"]) == " " + r["solution"] + tok.eos_token
    p, resp = encode_pair(tok, r["question"], r["solution"])
    assert resp[-1] == tok.eos_token_id
    assert all(
        len(tok.decode([t])) == 1 for t in resp if tok.decode([t]).strip().isdigit()
    )  # one digit per token


def test_sft_short_run_learns_and_exports(tmp_path):
    from training.metrics import read_metrics
    from training.sft import SFTConfig, train_sft
    from training.tasks.arithmetic import ArithmeticTask

    cfg = SFTConfig(
        model="tiny:arithmetic",
        data="task:arithmetic",
        output_dir=str(tmp_path / "sft"),
        steps=30,
        batch_size=4,
        micro_batch_size=2,
        context_length=128,
        eval_size=8,
        tiny_hidden_size=32,
        tiny_layers=2,
        task=ArithmeticTask(train_size=400, test_size=8),
    )
    cfg.optim.lr = 3e-3
    cfg.optim.warmup_steps = 0
    cfg.metrics.log_every = 5
    summary = train_sft(cfg)
    losses = [r["loss"] for r in read_metrics(tmp_path / "sft") if "loss" in r]
    assert losses[-1] < 0.6 * losses[0]
    assert (tmp_path / "sft" / "final" / "model.safetensors").exists()
    assert 0.0 <= summary["heldout_accuracy"] <= 1.0
    assert (tmp_path / "sft" / "data" / "test.jsonl").exists()


def _sft_recipe(tmp_path, **over) -> Path:
    import yaml

    cfg = {
        "model": "tiny:arithmetic",
        "data": "task:arithmetic",
        "steps": 8,
        "batch_size": 8,
        "micro_batch_size": 2,
        "context_length": 64,
        "eval_size": 0,
        "tiny_hidden_size": 32,
        "tiny_layers": 2,
        "threads": 1,
        # Adam with a tiny eps and gradient clipping are blind to the gradient's scale; a large eps
        # and no clipping make a wrongly scaled (e.g. un-averaged) gradient change the losses.
        "optim": {"lr": 3.0e-3, "warmup_steps": 0, "eps": 1.0e-3, "grad_clip": 0.0},
        "metrics": {"log_every": 1, "tensorboard": False},
        "task": {"train_size": 200, "test_size": 4},
        **over,
    }
    path = tmp_path / "sft.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path


def test_batch_split_needs_a_multiple_of_processes():
    from training.sft import accumulation_steps, micro_batch_rows, process_micro_batches

    assert accumulation_steps(8, 2, 1) == 4 and accumulation_steps(8, 2, 2) == 2
    for bad in ((6, 4, 1), (8, 2, 3), (2, 2, 2)):
        with pytest.raises(ValueError, match="multiple of micro_batch_size"):
            accumulation_steps(*bad)
    # two processes split one process's micro-batches of a step between them, without overlap
    for step in range(3):
        ranks = [process_micro_batches(step, 2, 2, r) for r in (0, 1)]
        assert not set(ranks[0]) & set(ranks[1])
        assert sorted(ranks[0] + ranks[1]) == process_micro_batches(step, 4, 1, 0)
    # the global micro-batch sequence covers every packed row once per pass
    rows = [int(r) for g in range(5) for r in micro_batch_rows(g, 2, 10, seed=0)]
    assert sorted(rows) == list(range(10))


def test_two_processes_match_one(tmp_path):
    """DDP on CPU (gloo): 2 processes × 2 accumulated micro-batches reproduce 1 process × 4 (same rows,
    same per-token weighting, the same schedule, so the same losses).

    Launched with torchrun: `accelerate launch --cpu --num_processes 2` starts only ONE process (its
    simple launcher ignores num_processes without mpirun), which would make this comparison vacuous.
    """
    import os
    import subprocess
    import sys

    from corpus.recipe import load_config
    from training.metrics import read_metrics
    from training.sft import SFTConfig, train_sft

    repo = Path(__file__).resolve().parents[1]
    recipe = _sft_recipe(tmp_path)
    one = tmp_path / "one"
    train_sft(load_config(SFTConfig, str(recipe), [f"output_dir={one}"]))
    two = tmp_path / "two"
    env = {**os.environ, "PYTHONPATH": str(repo), "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1"}
    env["ACCELERATE_USE_CPU"] = "true"
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2"]
    cmd += ["-m", "corpus.cli", "train", "sft", "--recipe", str(recipe), f"output_dir={two}"]
    proc = subprocess.run(cmd, cwd=repo, env=env, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "(2 processes x 2 micro-batches of 2)" in proc.stdout, proc.stdout[-2000:]

    def records(out):
        return {r["step"]: r for r in read_metrics(out) if "loss" in r}

    got, expected = records(two), records(one)
    assert sorted(got) == sorted(expected) == list(range(1, 9))
    for step, rec in expected.items():
        assert got[step]["response_tokens"] == rec["response_tokens"], step  # the same global batch
        assert got[step]["loss"] == pytest.approx(rec["loss"], rel=1e-4), step
    assert expected[8]["loss"] < expected[1]["loss"] - 0.5  # the steps did train (the match is not vacuous)
