"""Recipes, shard I/O, executors and the benchmark registry: the contracts every stage builds on."""

from __future__ import annotations

from dataclasses import dataclass, field

import pyarrow as pa
import pytest

from corpus import shards
from corpus.benchmarks import last_boxed, load_benchmark, parse_benchmark_arg
from corpus.executors import LocalExecutor, Task, merge_counts
from corpus.recipe import RecipeError, load_config, save_config
from corpus.schema import DOCUMENT_SCHEMA, conform


@dataclass
class Inner:
    n: int = 3
    lr: float = 0.1


@dataclass
class Outer:
    name: str = "x"
    inner: Inner = field(default_factory=Inner)
    langs: list[str] = field(default_factory=lambda: ["en"])


def test_recipe_yaml_then_overrides(tmp_path):
    p = tmp_path / "r.yaml"
    p.write_text("name: y\ninner:\n  n: 5\n")
    cfg = load_config(Outer, p, ["inner.lr=4.2e-4", "langs=[en, zh]"])
    assert (cfg.name, cfg.inner.n, cfg.inner.lr, cfg.langs) == ("y", 5, 4.2e-4, ["en", "zh"])
    save_config(cfg, tmp_path / "saved.yaml")
    assert load_config(Outer, tmp_path / "saved.yaml") == cfg


def test_recipe_rejects_unknown_and_ill_typed():
    with pytest.raises(RecipeError, match="inner.m"):
        load_config(Outer, None, ["inner.m=1"])
    with pytest.raises(RecipeError, match="inner.n"):
        load_config(Outer, None, ["inner.n=abc"])


def test_conform_fills_missing_columns_and_keeps_extras():
    t = pa.table({"id": ["a"], "text": ["t"], "extra": [1]})
    c = conform(t)
    assert c.schema.names[: len(DOCUMENT_SCHEMA)] == DOCUMENT_SCHEMA.names
    assert c.column("extra").to_pylist() == [1]
    assert c.column("lang").null_count == 1


def _write_stage(out: str, value: int) -> dict:
    shards.write_table(pa.table({"v": [value]}), out)
    return {"rows": 1, "reasons": {"kept": 1}}


def test_executor_writes_records_and_skips_done(tmp_path):
    stage = str(tmp_path / "stage")
    tasks = [Task(f"t{i}", {"out": shards.join(stage, shards.shard_name(i)), "value": i}) for i in range(3)]
    stats = LocalExecutor(workers=2).run(stage, _write_stage, tasks)
    assert merge_counts(stats) == {"rows": 3, "reasons": {"kept": 3}}
    assert [shards.read_table(p).column("v")[0].as_py() for p in shards.list_shards(stage)] == [0, 1, 2]
    # a rerun skips all three: the function is not called again
    again = LocalExecutor(workers=1).run(stage, lambda **kw: pytest.fail("reran a done task"), tasks)
    assert again == stats


def test_benchmark_registry_reads_shared_formats(shared_data):
    gsm = load_benchmark("gsm8k", shared_data / "gsm8k/test.jsonl")
    assert len(gsm) == 1319 and gsm[0].answer == "18"
    math = load_benchmark("math", shared_data / "math/test.jsonl.gz")
    assert len(math) == 5000 and all(m.answer for m in math[:50])
    mgsm = load_benchmark("mgsm-zh", shared_data / "mgsm/mgsm_zh.tsv")
    assert len(mgsm) == 250 and mgsm[0].answer == "18"
    assert parse_benchmark_arg("cmath=/x.jsonl") == ("cmath", "/x.jsonl")
    with pytest.raises(ValueError, match="unknown benchmark"):
        parse_benchmark_arg("nope")
    assert last_boxed(r"a \boxed{\frac{1}{2}} b") == r"\frac{1}{2}"
