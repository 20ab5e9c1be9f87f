"""Packing: EOS after every document, full rows without padding, labels as HF shifts them, exact resume."""

from __future__ import annotations

import itertools

import numpy as np
import pyarrow as pa
import pytest
import torch
from _pretrain_data import tiny_tokenizer, web_texts, write_source

from corpus.shards import shard_name, write_table
from training.data.packing import Packer, hf_tokenize
from training.data.sources import DocumentStream, SourceConfig, resolve_paths

EOS = 0


def char_tokenize(texts):
    return [[ord(c) for c in t] for t in texts]


def _docs(tmp_path, texts, per_shard=3):
    return write_source(texts, tmp_path / "src", per_shard=per_shard)


def test_rows_are_documents_joined_by_eos(tmp_path):
    texts = ["abc", "defgh", "ij", "klmnopqrstu", "v", "wxyz"]
    src = SourceConfig(name="s", paths=[str(_docs(tmp_path, texts))])
    packer = Packer(DocumentStream(src, val_permille=0, max_epochs=1), char_tokenize, context=5, eos_id=EOS)
    rows = list(packer)
    flat = [t for d in texts for t in [*map(ord, d), EOS]]  # 32 tokens -> 6 full rows, tail of 2 dropped
    assert all(len(r) == 5 and r.dtype == np.int32 for r in rows)
    assert np.concatenate(rows).tolist() == flat[: 5 * len(rows)]
    assert len(rows) == len(flat) // 5
    assert packer.documents == len(texts)


def test_real_tokenizer_no_padding_eos_boundaries(tmp_path, shared_data):
    tok = tiny_tokenizer(shared_data)
    texts = web_texts(shared_data, 20)
    src = SourceConfig(name="web", paths=[str(_docs(tmp_path, texts, 7))])
    rows = list(
        Packer(DocumentStream(src, val_permille=0, max_epochs=1), hf_tokenize(tok), 128, tok.eos_token_id)
    )
    flat = np.concatenate(rows)
    assert tok.pad_token_id not in flat.tolist()  # no padding inside packed rows
    # EOS count = documents fully inside the emitted rows, and each EOS follows exactly one document
    ends = np.cumsum([len(tok(t, add_special_tokens=False)["input_ids"]) + 1 for t in texts])
    eos_positions = np.flatnonzero(flat == tok.eos_token_id)
    assert eos_positions.tolist() == [e - 1 for e in ends if e <= len(flat)]


def test_labels_are_inputs_shifted_by_the_model():
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(0)
    model = LlamaForCausalLM(
        LlamaConfig(
            vocab_size=50,
            hidden_size=16,
            intermediate_size=32,
            num_hidden_layers=1,
            num_attention_heads=2,
            num_key_value_heads=2,
        )
    )
    ids = torch.randint(0, 50, (2, 12))
    out = model(input_ids=ids, labels=ids)
    manual = torch.nn.functional.cross_entropy(out.logits[:, :-1].reshape(-1, 50), ids[:, 1:].reshape(-1))
    assert out.loss.item() == pytest.approx(manual.item(), rel=1e-6)


def test_resume_from_state_is_exact(tmp_path):
    texts = [f"doc{i} " * (1 + i % 7) for i in range(40)]
    src = SourceConfig(name="s", paths=[str(_docs(tmp_path, texts, per_shard=6))])
    full = Packer(DocumentStream(src, val_permille=0), char_tokenize, context=9, eos_id=EOS)
    expected = [r.tolist() for r in itertools.islice(full, 60)]  # endless: wraps into epoch 2
    for k in (1, 7, 23, 41):
        first = Packer(DocumentStream(src, val_permille=0), char_tokenize, context=9, eos_id=EOS)
        list(itertools.islice(first, k))
        state = first.state_dict()
        again = Packer(DocumentStream(src, val_permille=0), char_tokenize, 9, EOS, state=state)
        assert [r.tolist() for r in itertools.islice(again, 60 - k)] == expected[k:], k


def test_validation_documents_are_held_out(tmp_path):
    texts = [f"document number {i} " * 3 for i in range(400)]
    src = SourceConfig(name="s", paths=[str(_docs(tmp_path, texts, per_shard=100))])
    train = {t for _, t in DocumentStream(src, "train", val_permille=50, max_epochs=1)}
    val = {t for _, t in DocumentStream(src, "val", val_permille=50, max_epochs=1)}
    assert val and train and not (train & val) and len(train | val) == 400
    assert 5 <= len(val) <= 40  # about 5% of 400


def test_sources_skip_empty_and_filter_scores(tmp_path):
    table = pa.Table.from_pylist(
        [
            {"text": "math page", "score": 0.9},
            {"text": "recipe page", "score": 0.1},
            {"text": "", "score": 0.0},
            {"text": "unscored page", "score": None},
        ]
    )
    write_table(table, str(tmp_path / "pool" / shard_name(0)))
    (tmp_path / "pool" / "dropped").mkdir()
    write_table(table, str(tmp_path / "pool" / "dropped" / shard_name(0)))  # never read
    assert resolve_paths([str(tmp_path / "pool")]) == [str(tmp_path / "pool" / shard_name(0))]
    stream = DocumentStream(
        SourceConfig(paths=[str(tmp_path / "pool")], score_below=0.5), val_permille=0, max_epochs=1
    )
    assert [t for _, t in stream] == ["recipe page", "unscored page"]
    assert stream.skipped == {"empty_text": 1, "score_filtered": 1, "excluded_id": 0}
    # the pool minus the selected corpus: rows whose id is in another shard set are skipped
    pool = pa.Table.from_pylist([{"id": f"d{i}", "text": f"page {i}"} for i in range(5)])
    write_table(pool, str(tmp_path / "pool2" / shard_name(0)))
    write_table(pool.slice(1, 2), str(tmp_path / "final" / shard_name(0)))
    neg = DocumentStream(
        SourceConfig(paths=[str(tmp_path / "pool2")], exclude_ids_from=[str(tmp_path / "final")]),
        val_permille=0,
        max_epochs=1,
    )
    assert [t for _, t in neg] == ["page 0", "page 3", "page 4"] and neg.skipped["excluded_id"] == 2
    with pytest.raises(FileNotFoundError):
        resolve_paths([str(tmp_path / "missing")])


def test_hub_builder_streaming_and_resume(tmp_path):
    texts = [f"hub document {i}" for i in range(30)]
    src_dir = _docs(tmp_path, texts, per_shard=10)
    src = SourceConfig(
        name="h", hub_id="parquet", hub_data_files=[str(p) for p in sorted(src_dir.glob("*.parquet"))]
    )
    full = list(itertools.islice(Packer(DocumentStream(src, val_permille=0), char_tokenize, 7, EOS), 40))
    first = Packer(DocumentStream(src, val_permille=0), char_tokenize, 7, EOS)
    list(itertools.islice(first, 13))
    again = Packer(DocumentStream(src, val_permille=0), char_tokenize, 7, EOS, state=first.state_dict())
    assert [r.tolist() for r in itertools.islice(again, 27)] == [r.tolist() for r in full[13:]]
