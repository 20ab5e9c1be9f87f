"""SFT: data loading, chat rendering, packing and a short real training run on the arithmetic task."""

import json

import pyarrow as pa
import pyarrow.parquet as pq

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
